package org.distill4j.data;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Objects;

/**
 * How a trained model's inputs are made from raw values: what the data source read (pixels
 * scaled to [0, 1], CSV numbers as written), how an image becomes a sample, and the
 * normalisation of the training split. It is the {@code preprocessing.json} of an exported
 * student (see {@code docs/export.md}); the text fields say the same in words for a reader of
 * the file and are not interpreted.
 *
 * @param source the data source the model was trained on: {@code fashion-mnist}, {@code idx},
 *     {@code csv}, {@code images} or {@code text}
 * @param inputShape the shape of one sample, e.g. {@code [1, 28, 28]} or {@code [4]}
 * @param values what a raw value is, in words
 * @param image how an image becomes a sample, for a model on {@code [C, H, W]} with C 1 or 3
 *     (null for a model on feature vectors)
 * @param csv the CSV layout the model was trained on (null unless the source is {@code csv})
 * @param normalise the statistics applied to raw values
 * @param text how a text becomes token ids, for a model on a {@code text} source (null otherwise)
 */
public record Preprocessing(String source, List<Long> inputShape, String values, Image image, Csv csv,
        Normalise normalise, Text text) {

    public Preprocessing {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(normalise, "normalise");
        inputShape = List.copyOf(inputShape);
    }

    /**
     * How an image becomes a sample: decoded as sRGB (alpha ignored; a grey image's own levels),
     * reduced to luminance for 1 channel, resized to {@code height × width} with bilinear
     * interpolation on pixel centres, each value in [0, 1].
     */
    public record Image(int channels, int height, int width, String colour, String resize) {
    }

    /**
     * @param features the number of feature columns, in file order
     * @param label the training file's label column: a header name or a 0-based index (null: the last column)
     */
    public record Csv(int features, String label) {
    }

    /**
     * How a text becomes one sample of {@code [maxLength]} token ids: the Hugging Face
     * {@code tokenizer.json} the run read (DJL's {@code ai.djl.huggingface:tokenizers}), special tokens
     * added ({@code [CLS] … [SEP]}), truncated or padded with id 0 ({@code [PAD]}) to {@code maxLength};
     * the ids as float32 values, not normalised.
     *
     * @param tokenizer the tokenizer file: in an export folder {@value #TOKENIZER_FILE}, a file of the
     *     folder; for a run, the path its config names
     * @param sha256 the tokenizer file's SHA-256
     * @param maxLength tokens per text
     * @param field the text field of a CSV/JSON file of texts (as the run read its data)
     * @param label the label field of a CSV/JSON file of texts (as the run read its data)
     */
    public record Text(String tokenizer, String sha256, int maxLength, String field, String label) {
        /** The tokenizer's name in an export folder. */
        public static final String TOKENIZER_FILE = "tokenizer.json";

        /** The text preprocessing of a run on a {@code text} source configured as {@code spec}. */
        public static Text of(TextSpec spec, String labelField) throws java.io.IOException {
            java.nio.file.Path file = java.nio.file.Path.of(spec.tokenizer());
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new DataSourceException("tokenizer " + file + " not found (or not a regular file)");
            }
            return new Text(spec.tokenizer(), org.distill4j.io.Provenance.sha256(file), spec.maxLength(), spec.field(),
                    labelField == null ? "label" : labelField);
        }

        /** The same with the tokenizer at {@code file}. */
        public Text withTokenizer(String file) {
            return new Text(file, sha256, maxLength, field, label);
        }
    }

    /**
     * {@code x' = (x − mean[k]) / std[k]}, {@code k} the channel (layout {@code PER_CHANNEL}, samples
     * {@code [C, H, W]}) or the feature ({@code PER_FEATURE}, samples {@code [F]}).
     */
    public record Normalise(Normalisation.Layout layout, List<Double> mean, List<Double> std, String formula) {
        public Normalise {
            mean = List.copyOf(mean);
            std = List.copyOf(std);
        }
    }

    /** The preprocessing of a model trained on data normalised as {@code n}, not on text. */
    public static Preprocessing of(String source, Normalisation n, String csvLabel) {
        return of(source, n, csvLabel, null);
    }

    /**
     * The preprocessing of a model trained on data normalised as {@code n}.
     *
     * @param csvLabel the label column of a CSV source as configured (null: the last one, or not CSV)
     * @param text how texts become token ids, for a {@code text} source (null otherwise)
     */
    public static Preprocessing of(String source, Normalisation n, String csvLabel, Text text) {
        List<Long> shape = n.sampleShape();
        boolean vectors = shape.size() == 1;
        Image image = shape.size() == 3 && (shape.get(0) == 1 || shape.get(0) == 3)
                ? new Image(shape.get(0).intValue(), shape.get(1).intValue(), shape.get(2).intValue(),
                        shape.get(0) == 1 ? "luminance 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601) of sRGB; a grey image"
                                + " as it is" : "R, G, B planes of sRGB (alpha ignored); a grey image repeated",
                        "bilinear on pixel centres (PyTorch interpolate, align_corners=False, no antialiasing)")
                : null;
        String formula = n.layout() == Normalisation.Layout.PER_CHANNEL
                ? "x' = (x - mean[c]) / std[c], c the channel of x in [C, H, W]"
                : "x' = (x - mean[f]) / std[f], f the feature (column) of x";
        String values = text != null ? "token ids of the text (whole numbers as float32, 0 = padding), see text"
                : vectors ? "numbers as written in the CSV feature columns" : "pixel values scaled to [0, 1] (a byte / 255)";
        return new Preprocessing(source, shape, values, text != null ? null : image,
                "csv".equals(source) ? new Csv(shape.get(0).intValue(), csvLabel) : null,
                new Normalise(n.layout(), n.mean(), n.std(), formula), text);
    }

    /** The same with {@code text} as its text preprocessing. */
    public Preprocessing withText(Text text) {
        return new Preprocessing(source, inputShape, values, image, csv, normalise, text);
    }

    /** The normalisation with these class names (as trained). */
    public Normalisation normalisation(List<String> classNames) {
        return new Normalisation(normalise.layout(), inputShape, normalise.mean(), normalise.std(), classNames);
    }

    /**
     * An image as one raw sample of {@link #inputShape}, converted as the {@code images} source converts
     * its files ({@link Image}); not yet normalised.
     *
     * @throws IllegalArgumentException if the model does not take images
     */
    public float[] imageSample(BufferedImage picture) {
        if (image == null) {
            throw new IllegalArgumentException("this model takes samples of shape " + inputShape
                    + ", not images (it needs [1, H, W] or [3, H, W])");
        }
        return ImageFolderSource.sample(picture, image.height(), image.width(), image.channels());
    }
}
