package org.distill4j.data;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * One part (train or test) of a source as read, before label mapping and normalisation.
 *
 * @param file the file or folder read, for messages
 * @param values raw sample values, one sample after another
 * @param sampleShape shape of one sample
 * @param labels label token of each sample as written (a CSV cell, a folder name, an IDX byte)
 * @param entries where each sample comes from, for messages: {@code line 7}, {@code cat/1.png}
 * @param attentionMask a text source's attention masks, laid out as {@code values} (1 a real token,
 *     0 padding); null for every other source
 */
record RawPart(Path file, float[] values, long[] sampleShape, String[] labels, String[] entries,
        float[] attentionMask) {

    /** A part without attention masks (every source but text). */
    RawPart(Path file, float[] values, long[] sampleShape, String[] labels, String[] entries) {
        this(file, values, sampleShape, labels, entries, null);
    }

    int size() {
        return labels.length;
    }

    String shapeText() {
        return Arrays.toString(sampleShape);
    }

    /** A growable float array: sources do not know their sample count before reading. */
    static final class Floats {
        private float[] data = new float[1024];
        private int size;

        void add(float v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, Math.toIntExact(Math.min(2L * data.length, Integer.MAX_VALUE - 8L)));
            }
            data[size++] = v;
        }

        void addAll(float[] v) {
            if (data.length - size < v.length) {
                long want = Math.max(2L * data.length, (long) size + v.length);
                data = Arrays.copyOf(data, Math.toIntExact(Math.min(want, Integer.MAX_VALUE - 8L)));
            }
            System.arraycopy(v, 0, data, size, v.length);
            size += v.length;
        }

        float[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
