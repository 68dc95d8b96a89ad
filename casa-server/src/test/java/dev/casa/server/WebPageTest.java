package dev.casa.server;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real headless browser (Debian's chromium and chromium-driver, which .ci/run
 * installs): upload the demo image, ask, and see the right answer stream in; then caption frames in
 * the Live tab. Screenshots go to target/. Skipped, saying why, where the browser is not installed
 * (but failed under .ci/run, which installs it).
 */
class WebPageTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    @TempDir
    static Path profile;
    private static CasaServer server;
    private static WebDriver driver;

    @BeforeAll
    static void start() throws Exception {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String why = "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver); .ci/run installs them";
        // .ci/run installs them and sets CASA_BROWSER_TESTS=required: there a missing browser is a failure, not a skip.
        if (!present && "required".equals(System.getenv("CASA_BROWSER_TESTS"))) fail("browser test: " + why);
        Assumptions.assumeTrue(present, "browser test skipped: " + why);
        server = Demo.start(ServerConfig.builder());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // The flags that work on this machine (no sandbox as root, no GPU, no network but loopback).
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1100,900", "--user-data-dir=" + profile.resolve("chrome"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
        driver = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() throws Exception {
        if (driver != null) driver.quit();
        if (server != null) server.close();
    }

    private static void screenshot(String name) throws Exception {
        Path out = Path.of("target", name);
        Files.createDirectories(out.getParent());
        Files.write(out, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theChatStreamsTheRightAnswerAboutAnUploadedImage() throws Exception {
        driver.get(server.uri().toString());
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
        wait.until(d -> d.findElement(By.id("model-name")).getText().contains(server.modelId()));
        driver.findElement(By.id("image-input")).sendKeys(Demo.examplePath().toAbsolutePath().toString());
        wait.until(d -> d.findElements(By.cssSelector("#attachments img")).size() == 1);
        // Record every text the answer shows, to see it arrive in pieces.
        ((JavascriptExecutor) driver).executeScript("""
                window.seen = [];
                // Every assignment to the answer's text replaces its text node, so each one leaves a
                // record even when the browser delivers several in one callback (a fast machine).
                new MutationObserver((records) => {
                  for (const r of records) {
                    if (!r.target.matches || !r.target.matches('#messages .msg.assistant .text')) continue;
                    for (const n of r.addedNodes) {
                      if (n.nodeType === Node.TEXT_NODE && window.seen[window.seen.length - 1] !== n.data) window.seen.push(n.data);
                    }
                  }
                }).observe(document.getElementById('messages'), {subtree: true, childList: true});
                """);
        driver.findElement(By.id("prompt")).sendKeys(Demo.QUESTION);
        driver.findElement(By.id("send")).click();
        wait.until(d -> !d.findElements(By.cssSelector("#messages .msg.assistant.done")).isEmpty());
        String answer = driver.findElement(By.cssSelector("#messages .msg.assistant .text")).getText();
        assertEquals(Demo.EXPECTED, answer);
        List<String> seen = (List<String>) ((JavascriptExecutor) driver).executeScript("return window.seen;");
        List<String> partial = new ArrayList<>();
        for (String s : seen) if (!s.isEmpty() && !s.equals(Demo.EXPECTED)) partial.add(s);
        assertTrue(partial.size() >= 3, "the answer streamed in: " + seen);
        for (String p : partial) assertTrue(Demo.EXPECTED.startsWith(p), "a partial answer is a prefix: '" + p + "'");
        String usage = driver.findElement(By.cssSelector("#messages .msg.assistant .usage")).getText();
        assertTrue(usage.contains("9 image tokens"), usage);
        assertEquals(Demo.QUESTION, driver.findElement(By.cssSelector("#messages .msg.user .text")).getText());
        screenshot("web-chat.png");
    }

    @Test
    void theLiveTabCaptionsFramesThroughAStream() throws Exception {
        Path heldout = Demo.root().resolve("heldout");
        List<Path> frames = List.of(heldout.resolve("describe_00.png"), heldout.resolve("describe_02.png"), Demo.examplePath());
        // The oracle: the same frames through the API in a stream of the same settings.
        RawHttp.Reply open = RawHttp.json(server.uri(), "/v1/streams", "{\"prompt\":\"Describe the image.\"}");
        String id = open.json().get("id").asText();
        List<String> expected = new ArrayList<>();
        for (Path f : frames) {
            JsonNode r = RawHttp.send(server.uri(), "POST", "/v1/streams/" + id + "/frames", Map.of("Content-Type", "image/png"), Files.readAllBytes(f)).json();
            expected.add(r.get("caption").asText());
        }
        RawHttp.send(server.uri(), "DELETE", "/v1/streams/" + id, Map.of(), null);
        assertEquals(Demo.EXPECTED, expected.get(2));

        driver.get(server.uri().toString());
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
        driver.findElement(By.id("tab-live")).click();
        driver.findElement(By.id("live-interval")).clear();
        driver.findElement(By.id("live-interval")).sendKeys("0");
        driver.findElement(By.id("live-files")).sendKeys(String.join("\n", frames.stream().map(p -> p.toAbsolutePath().toString()).toList()));
        wait.until(d -> d.findElement(By.id("live-start")).isEnabled());
        driver.findElement(By.id("live-start")).click();
        wait.until(d -> d.findElements(By.cssSelector("#captions li.done")).size() == 3);
        List<String> shown = driver.findElements(By.cssSelector("#captions li .caption")).stream().map(e -> e.getText()).toList();
        assertEquals(expected, shown);
        wait.until(d -> d.findElement(By.id("live-status")).getText().startsWith("Done"));
        screenshot("web-live.png");
        // The page closed its stream.
        String metrics = RawHttp.send(server.uri(), "GET", "/metrics", Map.of(), null).text();
        assertEquals(0, (long) ConcurrencyTest.value(metrics, "casa_streams_open"));
    }
}
