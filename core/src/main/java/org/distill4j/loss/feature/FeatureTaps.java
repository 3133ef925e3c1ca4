package org.distill4j.loss.feature;

import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.stream.Collectors;
import org.distill4j.loss.Binding;
import org.distill4j.model.TapException;
import org.distill4j.model.TapShapes;

/** Wording shared by the feature losses' tap checks, so every error names taps the same way. */
final class FeatureTaps {
    private FeatureTaps() {}

    /** {@code student tap 'conv2' (8, 7, 7)}; throws (listing the taps) if there is no such tap. */
    static String describe(TapShapes shapes, String tap) {
        return shapes.network() + " tap '" + tap + "' " + shapes.shape(tap);
    }

    /** {@code the student's feature maps: conv1 (8, 14, 14), conv2 (8, 7, 7)}. */
    static String maps(TapShapes shapes) {
        List<String> maps = shapes.mapTaps();
        return "the " + shapes.network() + "'s feature-map taps: " + (maps.isEmpty() ? "none"
                : maps.stream().map(t -> t + " " + shapes.shape(t)).collect(Collectors.joining(", ")));
    }

    /** Both networks' feature-map taps, for "what would fit" hints. */
    static String maps(Binding binding) {
        return maps(binding.student()) + "; " + maps(binding.teacher());
    }

    /** The per-sample shape of a feature-map tap (C, H, W); anything else is a TapException. */
    static Shape map(String method, TapShapes shapes, String tap) {
        Shape s = shapes.shape(tap);
        if (s.dimension() != 3) {
            throw new TapException(method + ": " + describe(shapes, tap) + " is not a feature map (C, H, W); "
                    + maps(shapes));
        }
        return s;
    }

    /** The teacher's shapes; a feature loss without a teacher is a configuration mistake. */
    static TapShapes teacher(String method, Binding binding) {
        if (binding.teacher() == null) {
            throw new IllegalArgumentException(method + " needs a teacher");
        }
        return binding.teacher();
    }
}
