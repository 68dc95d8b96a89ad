package dev.casa.text.prompt.jinja;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Renders real chat templates and compares with Python Jinja2 configured as Hugging Face does
 * (expected.json, made by models/templates/make_fixtures.py).
 */
class TemplateOracleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> matchesJinja2() throws IOException {
        JsonNode root = JSON.readTree(resource("expected.json"));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            String name = c.get("template").asText() + "/" + c.get("conversation").asText()
                    + (c.get("variables").get("add_generation_prompt").asBoolean() ? "+gen" : "")
                    + (c.get("variables").has("tools") ? "+tools" : "");
            tests.add(DynamicTest.dynamicTest(name, () -> check(c)));
        }
        assertTrue(tests.size() > 40, "oracle file holds the cases");
        return tests.stream();
    }

    private void check(JsonNode c) throws IOException {
        Template t = Template.parse(resource(c.get("template").asText() + ".jinja"));
        @SuppressWarnings("unchecked")
        Map<String, Object> vars = JSON.convertValue(c.get("variables"), Map.class);
        if (c.has("error")) {
            TemplateException e = assertThrows(TemplateException.class, () -> t.render(vars));
            assertEquals(c.get("error").asText(), e.getMessage());
        } else {
            assertEquals(c.get("output").asText(), t.render(vars));
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = TemplateOracleTest.class.getResourceAsStream("/templates/" + name)) {
            assertNotNull(in, "missing test resource templates/" + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
