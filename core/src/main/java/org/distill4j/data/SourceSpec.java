package org.distill4j.data;

import java.util.List;
import java.util.Set;

/**
 * Where a dataset comes from and how to read it: the {@code data: {source: …}} block of a run
 * configuration, passed to {@link DataSources#load(SourceSpec, java.nio.file.Path)}.
 *
 * <p>Components are nullable so the record binds directly from YAML/JSON (Jackson); absent
 * values take the defaults below. Paths are resolved against the {@code baseDir} given to
 * {@code load} (normally the directory of the configuration file) unless absolute.
 *
 * <table>
 * <caption>Components by source</caption>
 * <tr><th>source</th><th>required</th><th>optional</th></tr>
 * <tr><td>{@code idx}</td><td>{@code train}, {@code trainLabels}</td>
 *     <td>{@code test} + {@code testLabels} (both or neither)</td></tr>
 * <tr><td>{@code csv}</td><td>{@code train}</td>
 *     <td>{@code test}, {@code label} (default: the last column), {@code header}</td></tr>
 * <tr><td>{@code images}</td><td>{@code train} (a folder of class sub-folders), {@code size}</td>
 *     <td>{@code test} (same layout), {@code channels}</td></tr>
 * </table>
 * All sources also take {@code name}, and, when there is no {@code test}, {@code testFraction},
 * {@code seed} and {@code stratified}, which control the carved test split.
 *
 * @param source {@code idx}, {@code csv} or {@code images}
 * @param name name recorded in run records; the datasets are {@code <name>-train} and
 *     {@code <name>-test}. Default: the train file name without extensions (or folder name)
 * @param train training file (idx, csv) or folder (images)
 * @param trainLabels idx only: training labels file
 * @param test test file or folder; without it a test split is carved from {@code train}
 * @param testLabels idx only: test labels file
 * @param label csv only: label column, by header name or 0-based index. A value naming a header
 *     column is taken as a name, otherwise a non-negative integer is an index. Default: last column
 * @param header csv only: whether the first row is a header; default (null): detected — the
 *     first row is a header when one of its feature cells is not a number
 * @param size images only: {@code [height, width]} every image is resized to (bilinear)
 * @param channels images only: 1 (luminance) or 3 (RGB); default 1
 * @param testFraction without {@code test}: fraction of samples carved out for testing, in
 *     (0, 1); default 0.2
 * @param seed without {@code test}: seed of the carved split; default 0
 * @param stratified without {@code test}: carve the same fraction from every class (default
 *     true) or from the shuffled whole (false)
 * @param text text only, required: the tokenizer and the text field ({@link TextSpec}); for text,
 *     {@code label} names the label field of a CSV/JSON file (default {@code label})
 */
public record SourceSpec(String source, String name, String train, String trainLabels, String test,
        String testLabels, String label, Boolean header, List<Integer> size, Integer channels,
        Double testFraction, Long seed, Boolean stratified, TextSpec text) {

    /** The accepted values of {@code source}. */
    public static final Set<String> SOURCES = Set.of("idx", "csv", "images", "text");

    /** Largest accepted image side after resizing. */
    static final int MAX_SIDE = 4096;

    public SourceSpec {
        if (source == null || !SOURCES.contains(source)) {
            throw new IllegalArgumentException("source: must be one of idx, csv, images, text (got "
                    + source + ")");
        }
        if (train == null || train.isBlank()) {
            throw new IllegalArgumentException("train: required for source " + source);
        }
        only(source, "idx", "trainLabels", trainLabels);
        only(source, "idx", "testLabels", testLabels);
        if (label != null && !source.equals("csv") && !source.equals("text")) {
            throw new IllegalArgumentException("label: only for source csv or text (this source is " + source + ")");
        }
        only(source, "text", "text", text);
        if (source.equals("text") && text == null) {
            throw new IllegalArgumentException("text: required for source text ({tokenizer: FILE, maxLength, field})");
        }
        only(source, "csv", "header", header);
        only(source, "images", "size", size);
        only(source, "images", "channels", channels);
        if (source.equals("idx")) {
            if (trainLabels == null) {
                throw new IllegalArgumentException("trainLabels: required for source idx");
            }
            if ((test == null) != (testLabels == null)) {
                throw new IllegalArgumentException("test, testLabels: give both or neither for source idx");
            }
        }
        if (source.equals("images")) {
            if (size == null || size.size() != 2 || size.stream().anyMatch(java.util.Objects::isNull)
                    || size.get(0) < 1 || size.get(1) < 1 || size.get(0) > MAX_SIDE || size.get(1) > MAX_SIDE) {
                throw new IllegalArgumentException("size: required for source images, as [height, width]"
                        + " with each in [1, " + MAX_SIDE + "] (got " + size + ")");
            }
            size = List.copyOf(size);
            channels = channels == null ? 1 : channels;
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("channels: must be 1 or 3 (got " + channels + ")");
            }
        }
        if (test != null && (testFraction != null || seed != null || stratified != null)) {
            throw new IllegalArgumentException("testFraction, seed, stratified: only without test"
                    + " (they control the carved test split)");
        }
        testFraction = testFraction == null ? 0.2 : testFraction;
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("testFraction: must be in (0, 1) (got " + testFraction + ")");
        }
        seed = seed == null ? 0L : seed;
        stratified = stratified == null ? Boolean.TRUE : stratified;
    }

    /** The components before {@code text}: a source that is not text. */
    public SourceSpec(String source, String name, String train, String trainLabels, String test,
            String testLabels, String label, Boolean header, List<Integer> size, Integer channels,
            Double testFraction, Long seed, Boolean stratified) {
        this(source, name, train, trainLabels, test, testLabels, label, header, size, channels, testFraction, seed,
                stratified, null);
    }

    /** A text source: {@code train} a folder of class sub-folders or a .csv/.json/.jsonl file. */
    public static SourceSpec text(String train, String test, String label, TextSpec text) {
        return new SourceSpec("text", null, train, null, test, null, label, null, null, null, null, null, null, text);
    }

    /** A CSV source: {@code label} is a header name or 0-based index ({@code null}: last column). */
    public static SourceSpec csv(String train, String test, String label) {
        return new SourceSpec("csv", null, train, null, test, null, label, null, null, null, null, null, null);
    }

    /** An IDX source; {@code test} and {@code testLabels} are both given or both {@code null}. */
    public static SourceSpec idx(String train, String trainLabels, String test, String testLabels) {
        return new SourceSpec("idx", null, train, trainLabels, test, testLabels, null, null, null, null,
                null, null, null);
    }

    /** An image-folder source resized to {@code height x width} with 1 or 3 channels. */
    public static SourceSpec images(String train, String test, int height, int width, int channels) {
        return new SourceSpec("images", null, train, null, test, null, null, null, List.of(height, width),
                channels, null, null, null);
    }

    /** @return a copy carving the test split with these settings (requires {@code test == null}) */
    public SourceSpec withCarvedTest(double fraction, long carveSeed, boolean stratify) {
        return new SourceSpec(source, name, train, trainLabels, null, null,
                label, header, size, channels, fraction, carveSeed, stratify, text);
    }

    /** @return a copy with {@code header} set (csv only) */
    public SourceSpec withHeader(Boolean hasHeader) {
        return new SourceSpec(source, name, train, trainLabels, test, testLabels, label, hasHeader, size,
                channels, test == null ? testFraction : null, test == null ? seed : null,
                test == null ? stratified : null, text);
    }

    private static void only(String source, String allowed, String field, Object value) {
        if (value != null && !source.equals(allowed)) {
            throw new IllegalArgumentException(field + ": only for source " + allowed
                    + " (this source is " + source + ")");
        }
    }
}
