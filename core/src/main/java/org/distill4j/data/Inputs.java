package org.distill4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * New inputs for a trained model, read from a file the way the data sources read theirs, as raw
 * values (not yet normalised): the rows of a CSV file, one image, or a folder of images.
 *
 * <ul>
 * <li><b>An image</b> ({@code .png}, {@code .jpg}, {@code .jpeg}): converted as the {@code images}
 *     source converts its files, to the model's {@code [C, H, W]} ({@link Preprocessing#imageSample}).</li>
 * <li><b>A folder</b>: its images in name order, then those of each sub-folder (the ImageFolder
 *     layout), whose name is taken as the image's label; hidden files and other files are skipped.</li>
 * <li><b>Any other file</b> is a CSV (gzipped or not, cells as the {@code csv} source reads
 *     them) of rows of the model's {@code F} input values (a vector model's features; an image
 *     model's pixels in [0, 1], C·H·W of them in C, H, W order). A row of {@code F + 1} cells
 *     has a label column too: the training file's label column when that is recorded (by header
 *     name, else by index), otherwise the last one. The first row is a header when one of its
 *     cells outside the label column is not a number.</li>
 * </ul>
 * A row with another number of cells, a feature cell that is not a number, an image that cannot
 * be decoded is an error naming the file and the line or image ({@link DataSourceException}).
 */
public final class Inputs {
    private Inputs() {
    }

    /**
     * One input.
     *
     * @param where where it came from: {@code line 7}, {@code cat/1.png}
     * @param raw its raw values, one sample of the model's input shape
     * @param label the label the file gives it (a CSV label cell, a sub-folder name), or null
     */
    public record Input(String where, float[] raw, String label) {
    }

    /** Reads {@code file} (an image, a folder of images or a CSV file) as inputs of a model preprocessed as {@code pre}. */
    public static List<Input> read(Path file, Preprocessing pre) {
        if (Files.isDirectory(file)) {
            return folder(file, pre);
        }
        if (!Files.isRegularFile(file)) {
            throw new DataSourceException("input " + file + " not found (or not a file or folder)");
        }
        if (ImageFolderSource.isImage(file)) {
            return List.of(image(file, file.getFileName().toString(), null, pre));
        }
        return csv(file, pre);
    }

    private static Input image(Path file, String where, String label, Preprocessing pre) {
        Preprocessing.Image img = pre.image();
        if (img == null) {
            throw new DataSourceException("input " + file + " is an image, but this model takes samples of shape "
                    + pre.inputShape() + " (feature vectors): give a CSV file of rows");
        }
        return new Input(where, ImageFolderSource.decode(file, img.height(), img.width(), img.channels()), label);
    }

    private static List<Input> folder(Path root, Preprocessing pre) {
        List<Input> out = new ArrayList<>();
        List<Path> sub = new ArrayList<>();
        for (Path p : ImageFolderSource.list(root, root)) {
            if (ImageFolderSource.hidden(p)) {
                continue;
            }
            if (Files.isDirectory(p)) {
                sub.add(p);
            } else if (Files.isRegularFile(p) && ImageFolderSource.isImage(p)) {
                out.add(image(p, p.getFileName().toString(), null, pre));
            }
        }
        for (Path dir : sub) {
            String label = dir.getFileName().toString();
            for (Path p : ImageFolderSource.list(root, dir)) {
                if (!ImageFolderSource.hidden(p) && Files.isRegularFile(p) && ImageFolderSource.isImage(p)) {
                    out.add(image(p, root.relativize(p).toString(), label, pre));
                }
            }
        }
        if (out.isEmpty()) {
            throw new DataSourceException("input folder " + root + " holds no PNG or JPEG images (.png, .jpg, .jpeg),"
                    + " neither directly nor in sub-folders");
        }
        return out;
    }

    private static List<Input> csv(Path file, Preprocessing pre) {
        int features = 1;
        for (long d : pre.inputShape()) {
            features = Math.multiplyExact(features, (int) d);
        }
        CsvSource.Rows rows = CsvSource.rows(file);
        if (rows.cells().isEmpty()) {
            throw new DataSourceException("CSV file " + file + " holds no rows");
        }
        String[] first = rows.cells().get(0);
        int columns = first.length;
        if (columns != features && columns != features + 1) {
            throw new DataSourceException("CSV file " + file + " line " + rows.lines().get(0) + " has " + columns
                    + " columns; this model takes " + features + " input values a row" + shapeNote(pre)
                    + " (" + features + " columns, or " + (features + 1) + " with a label column)");
        }
        String trained = pre.csv() == null ? null : pre.csv().label();
        int label = columns == features ? -1 : columns - 1;
        boolean header = false;
        if (label >= 0 && trained != null) {
            // The training label column named in this file's first row fixes both the header and the column.
            for (int c = 0; c < columns && !header; c++) {
                if (first[c].equals(trained)) {
                    label = c;
                    header = true;
                }
            }
            if (!header && trained.matches("\\d{1,9}") && Integer.parseInt(trained) < columns) {
                label = Integer.parseInt(trained);
            }
        }
        if (!header) {
            for (int c = 0; c < columns; c++) {
                if (c != label && !CsvSource.isNumber(first[c])) {
                    header = true;
                    break;
                }
            }
        }
        String[] names = header ? first : null;
        List<Input> out = new ArrayList<>();
        for (int r = header ? 1 : 0; r < rows.cells().size(); r++) {
            String[] cells = rows.cells().get(r);
            int line = rows.lines().get(r);
            if (cells.length != columns) {
                throw new DataSourceException("CSV file " + file + " line " + line + " has " + cells.length
                        + " columns but line " + rows.lines().get(0) + " has " + columns
                        + "; every row needs the same number of columns");
            }
            float[] raw = new float[features];
            int k = 0;
            for (int c = 0; c < columns; c++) {
                if (c != label) {
                    raw[k++] = CsvSource.feature(file, line, c, names, cells[c]);
                }
            }
            out.add(new Input("line " + line, raw, label < 0 || cells[label].isEmpty() ? null : cells[label]));
        }
        if (out.isEmpty()) {
            throw new DataSourceException("CSV file " + file + " holds a header row but no data rows");
        }
        return out;
    }

    private static String shapeNote(Preprocessing pre) {
        return pre.inputShape().size() == 1 ? "" : " (samples of shape " + pre.inputShape() + ", flattened)";
    }
}
