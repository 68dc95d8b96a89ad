package dev.casa.readme;

// The README's library example, compiled (and run on a fixture model) by the build.
// README.md shows the lines between the markers; ReadmeExampleTest keeps the two identical.
import dev.casa.CasaModel;
import dev.casa.Session;
import java.nio.file.Path;

public class ReadmeExample {
    public static void main(String[] args) {
        // README-BEGIN
        try (CasaModel model = CasaModel.load(Path.of(args[0]))) {
            // One call: an image and a question.
            System.out.println(model.describe(Path.of(args[1]), "Describe the image."));
            // A session: images (or video frames) and turns, with caches kept between them.
            Session chat = model.newSession();
            chat.addImage(dev.casa.vision.image.ImageDecoder.decode(Path.of(args[1])));
            System.out.println(chat.ask("What colour is the circle?"));
            System.out.println(chat.ask("Where is it?"));
        }
        // README-END
    }
}
