package dev.casa.cli;

import dev.casa.CasaModel;
import dev.casa.Session;
import dev.casa.text.generate.GenerationResult;
import dev.casa.text.generate.TokenListener;
import dev.casa.text.lm.CacheOverflowException;
import dev.casa.vision.image.ImageDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code casa caption}: a streaming session over video frames. Each frame opens a new CASA window
 * and gets a caption, printed with its timestamp; optionally written as SRT.
 */
@Command(name = "caption", mixinStandardHelpOptions = true,
        description = "Caption a sequence of frames (a folder of images, or a video via ffmpeg) in one streaming session.")
public final class CaptionCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    GenerationFlags generation;

    @Option(names = "--frames", paramLabel = "DIR", description = "folder of frames (PNG/JPEG/BMP/GIF), taken in name order")
    Path frames;

    @Option(names = "--video", paramLabel = "FILE", description = "a video file (needs ffmpeg on the PATH)")
    Path video;

    @Option(names = "--fps", paramLabel = "N", defaultValue = "1", description = "frames per second of the input (default 1)")
    double fps;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "Describe the image.")
    String prompt;

    @Option(names = "--srt", paramLabel = "FILE", description = "also write the captions as SubRip subtitles")
    Path srt;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if ((frames == null) == (video == null)) throw new IllegalArgumentException("give exactly one of --frames DIR or --video FILE");
        if (!(fps > 0)) throw new IllegalArgumentException("--fps must be > 0, got " + fps);
        Path dir = frames != null ? frames : extractFrames(video, fps);
        List<Path> files = listFrames(dir);
        if (files.isEmpty()) throw new IllegalArgumentException("no image files in " + dir);
        List<String> captions = new ArrayList<>();
        try (CasaModel model = modelOptions.load()) {
            Session session = model.newSession();
            ProgressBar bar = new ProgressBar(ConsoleOutput.ERR, "prefill");
            session.onPrefillProgress(bar::update);
            for (int i = 0; i < files.size(); i++) {
                String stamp = timestamp(i / fps, '.');
                ConsoleOutput.OUT.print("[" + stamp + "] ");
                session.addImage(ImageDecoder.decode(files.get(i)));
                GenerationResult r;
                try {
                    r = session.ask(prompt, generation.toOptions(model), ConsoleOutput.streaming());
                } catch (CacheOverflowException e) {
                    // The text of a long stream filled the cache: continue in a fresh session.
                    session = model.newSession().onPrefillProgress(bar::update);
                    session.addImage(ImageDecoder.decode(files.get(i)));
                    r = session.ask(prompt, generation.toOptions(model), ConsoleOutput.streaming());
                }
                ConsoleOutput.OUT.println();
                ConsoleOutput.noteCacheFull("caption", session, r, "");
                captions.add(r.text().strip());
                if (generation.stats) {
                    ConsoleOutput.stats("frame " + i, 0, session.lastTurn().promptTokens(), session.lastTurn().prefillNanos() / 1e9, r);
                }
            }
        }
        if (srt != null) writeSrt(srt, captions);
        return 0;
    }

    private static List<Path> listFrames(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("not a folder: " + dir);
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g|bmp|gif)"))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    private static Path extractFrames(Path video, double fps) throws IOException, InterruptedException {
        if (!Files.exists(video)) throw new IllegalArgumentException("video not found: " + video);
        Path dir = Files.createTempDirectory("casa-frames");
        Process p;
        try {
            p = new ProcessBuilder("ffmpeg", "-loglevel", "error", "-i", video.toString(), "-vf", "fps=" + fps,
                    dir.resolve("%06d.png").toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalArgumentException("--video needs ffmpeg on the PATH (" + e.getMessage() + ")");
        }
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalArgumentException("ffmpeg failed on " + video + ": " + log.strip());
        return dir;
    }

    private void writeSrt(Path file, List<String> captions) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < captions.size(); i++) {
            sb.append(i + 1).append('\n')
              .append(timestamp(i / fps, ',')).append(" --> ").append(timestamp((i + 1) / fps, ',')).append('\n')
              .append(captions.get(i)).append("\n\n");
        }
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".srt", ".tmp");
        Files.writeString(tmp, sb.toString());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** HH:MM:SS.mmm (SRT uses a comma before the milliseconds). */
    static String timestamp(double seconds, char millisSeparator) {
        long ms = Math.round(seconds * 1000);
        return String.format(Locale.ROOT, "%02d:%02d:%02d%c%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, millisSeparator, ms % 1000);
    }

    static TokenListener none() { return TokenListener.NONE; }
}
