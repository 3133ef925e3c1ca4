package org.distill4j.model;

import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-sample shape of every tap of one network (batch dimension left out), known before
 * training so that a loss can size its adapters and reject incompatible taps up front.
 *
 * @param network which network these are ("student" or "teacher"), for error messages
 * @param shapes tap name → per-sample shape, in network order
 */
public record TapShapes(String network, Map<String, Shape> shapes) {
    public TapShapes {
        shapes = Collections.unmodifiableMap(new LinkedHashMap<>(shapes));
    }

    /** The per-sample shape of {@code tap}; the error names the network and lists its taps. */
    public Shape shape(String tap) {
        Shape s = shapes.get(tap);
        if (s == null) {
            throw new TapException("the " + network + " has no tap named '" + tap + "'; its taps are "
                    + shapes.keySet());
        }
        return s;
    }

    /** Taps whose outputs are feature maps (C, H, W), in network order. */
    public List<String> mapTaps() {
        return shapes.entrySet().stream().filter(e -> e.getValue().dimension() == 3).map(Map.Entry::getKey).toList();
    }

    /** Channels × height × width etc.: the number of values per sample. */
    public long size(String tap) {
        return shape(tap).size();
    }
}
