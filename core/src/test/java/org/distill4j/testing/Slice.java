package org.distill4j.testing;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Locates the Fashion-MNIST test slice (600 train / 200 test samples) on the classpath. */
public final class Slice {

    public static final int TRAIN = 600;
    public static final int TEST = 200;

    private Slice() {
    }

    public static Path dir() {
        try {
            return Path.of(Slice.class.getResource("/fashion-mnist-slice/LICENSE.txt").toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path file(String name) {
        return dir().resolve(name);
    }
}
