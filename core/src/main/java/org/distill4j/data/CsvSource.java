package org.distill4j.data;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a CSV file of numeric feature columns and one label column into samples of shape
 * {@code [F]}. Cells are separated by commas and trimmed; a cell may be double-quoted (with
 * {@code ""} for a quote) but not span lines; blank lines are skipped. Gzip is detected from
 * the content. Rows are named in messages by their 1-based line number in the file.
 */
final class CsvSource {

    /** A plain decimal number: no hex, no {@code NaN}/{@code Infinity}, no {@code f}/{@code d} suffix. */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?");

    private static final Pattern INDEX = Pattern.compile("\\d{1,9}");

    private CsvSource() {
    }

    static boolean isNumber(String cell) {
        return NUMBER.matcher(cell).matches();
    }

    /**
     * @param file CSV file, gzipped or not
     * @param label label column, as a header name or a 0-based index; {@code null} for the last
     * @param header whether the first row is a header; {@code null} to detect it
     */
    static RawPart read(Path file, String label, Boolean header) {
        Rows table = rows(file);
        List<String[]> rows = table.cells();
        List<Integer> lineNumbers = table.lines();
        if (rows.isEmpty()) {
            throw new DataSourceException("CSV file " + file + " holds no rows");
        }
        String[] first = rows.get(0);
        int columns = first.length;
        if (columns < 2) {
            throw new DataSourceException("CSV file " + file + " line " + lineNumbers.get(0) + " has "
                    + columns + " column; a row needs at least one feature column and a label column");
        }
        boolean labelIsIndex = label == null || INDEX.matcher(label.trim()).matches();
        boolean hasHeader;
        if (header != null) {
            hasHeader = header;
        } else if (!labelIsIndex) {
            hasHeader = true; // a label column given by name needs a header row to find it
        } else {
            int guess = label == null ? columns - 1 : Integer.parseInt(label.trim());
            hasHeader = false;
            for (int c = 0; c < columns; c++) {
                if (c != guess && !isNumber(first[c])) {
                    hasHeader = true;
                    break;
                }
            }
        }
        int labelColumn = labelColumn(file, label, hasHeader ? first : null, columns);
        String[] names = hasHeader ? first : null;
        int start = hasHeader ? 1 : 0;
        int n = rows.size() - start;
        if (n == 0) {
            throw new DataSourceException("CSV file " + file + " holds a header row but no data rows");
        }
        int features = columns - 1;
        float[] values = new float[Math.multiplyExact(n, features)];
        String[] labels = new String[n];
        String[] entries = new String[n];
        for (int r = start; r < rows.size(); r++) {
            String[] cells = rows.get(r);
            int line = lineNumbers.get(r);
            if (cells.length != columns) {
                throw new DataSourceException("CSV file " + file + " line " + line + " has " + cells.length
                        + " columns but line " + lineNumbers.get(0) + " has " + columns
                        + "; every row needs the same number of columns");
            }
            int s = r - start;
            int k = s * features;
            for (int c = 0; c < columns; c++) {
                String cell = cells[c];
                if (c == labelColumn) {
                    if (cell.isEmpty()) {
                        throw new DataSourceException("CSV file " + file + " line " + line + ", label "
                                + column(c, names) + ": the label cell is empty");
                    }
                    labels[s] = cell;
                    continue;
                }
                values[k++] = feature(file, line, c, names, cell);
            }
            entries[s] = "line " + line;
        }
        return new RawPart(file, values, new long[] {features}, labels, entries);
    }

    /** A feature cell's value; a cell that is not a finite plain decimal number is an error naming the place. */
    static float feature(Path file, int line, int c, String[] names, String cell) {
        float v = isNumber(cell) ? (float) Double.parseDouble(cell) : Float.NaN;
        if (!Float.isFinite(v)) {
            throw new DataSourceException("CSV file " + file + " line " + line + ", " + column(c, names)
                    + ": " + (cell.isEmpty() ? "the cell is empty" : DataSourceException.quote(cell)
                    + (isNumber(cell) ? " is too large for a float" : " is not a number"))
                    + "; feature cells must be plain decimal numbers");
        }
        return v;
    }

    /** The non-blank rows of a file, split into cells, with their 1-based line numbers. */
    record Rows(List<String[]> cells, List<Integer> lines) {
    }

    static Rows rows(Path file) {
        List<String[]> rows = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
        try (BufferedReader in = open(file)) {
            int lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                rows.add(split(file, lineNo, line));
                lineNumbers.add(lineNo);
            }
        } catch (ZipException e) {
            throw new DataSourceException("CSV file " + file + " is not a valid gzip stream (" + e.getMessage()
                    + "); the .gz file is corrupt or truncated", e);
        } catch (IOException e) {
            throw new DataSourceException("cannot read CSV file " + file + ": " + e, e);
        }
        return new Rows(rows, lineNumbers);
    }

    static String column(int c, String[] names) {
        return "column " + c + (names == null ? "" : " (" + DataSourceException.quote(names[c]) + ")");
    }

    private static int labelColumn(Path file, String label, String[] header, int columns) {
        if (label == null) {
            return columns - 1;
        }
        String wanted = label.trim();
        if (header != null) {
            for (int c = 0; c < columns; c++) {
                if (header[c].equals(wanted)) {
                    return c;
                }
            }
        }
        if (INDEX.matcher(wanted).matches()) {
            int index = Integer.parseInt(wanted);
            if (index >= columns) {
                throw new DataSourceException("CSV file " + file + ": label column index " + index
                        + " is out of range; the file has " + columns + " columns (0-based indices 0.."
                        + (columns - 1) + ")");
            }
            return index;
        }
        throw new DataSourceException("CSV file " + file + ": no column named " + DataSourceException.quote(wanted)
                + (header == null ? " — the file has no header row (give label as a 0-based index, or set header: true)"
                        : " in the header row; columns are " + String.join(", ", header)));
    }

    /** Splits one line into trimmed cells; double quotes group a cell, {@code ""} is a quote. */
    private static String[] split(Path file, int lineNo, String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        cell.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"' && cell.toString().isBlank()) {
                quoted = true;
                wasQuoted = true;
                cell.setLength(0);
            } else if (wasQuoted && Character.isWhitespace(ch)) {
                continue; // spaces after a closing quote are padding
            } else if (ch == ',') {
                cells.add(wasQuoted ? cell.toString() : cell.toString().trim());
                cell.setLength(0);
                wasQuoted = false;
            } else {
                cell.append(ch);
            }
        }
        if (quoted) {
            throw new DataSourceException("CSV file " + file + " line " + lineNo
                    + " has an unterminated quoted cell; cells may not span lines");
        }
        cells.add(wasQuoted ? cell.toString() : cell.toString().trim());
        return cells.toArray(String[]::new);
    }

    private static BufferedReader open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DataSourceException("CSV file " + file + " not found (or not a regular file)");
        }
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw;
            return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }
}
