package org.distill4j.testing;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.model.ImportedModel;

/**
 * The tiny imported teachers of {@code src/test/resources/imported/} (made by its
 * {@code make_teachers.py}): {@code tiny.onnx}, {@code tiny.pt} (a tuple), {@code tiny-dict.pt}
 * (a dict), one network in three files, and {@code expected.json}, what PyTorch gave.
 */
public final class ImportedTeachers {
    /** The "scaled" preprocessing of {@code expected.json}: the graph receives (255·raw − 72.94) / 90.02. */
    public static final ImportedModel.Preprocess SCALED =
            new ImportedModel.Preprocess(255.0, List.of(72.94), List.of(90.02));

    private ImportedTeachers() {}

    public static Path resource(String name) {
        try {
            return Path.of(ImportedTeachers.class.getResource("/imported/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
