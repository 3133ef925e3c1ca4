package org.distill4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads labelled texts for the {@code text} source and {@code predict --input}:
 * <ul>
 * <li>a folder: every class is a sub-folder, every regular (non-hidden) file in it one text, read
 *     whole as UTF-8; the label is the sub-folder's name (files directly in the folder have none);</li>
 * <li>{@code .csv}: one text a row, the text and the label in the columns named by {@code field} and
 *     {@code label} in the header row (a cell may be quoted but not span lines);</li>
 * <li>{@code .json}: an array of objects; {@code .jsonl}: one object a line; each with the text
 *     under {@code field} and the label under {@code label}.</li>
 * </ul>
 * An empty text, a missing or empty label (when labels are required), bytes that are not UTF-8
 * are errors naming the file and the entry ({@link DataSourceException}).
 */
public final class TextSource {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TextSource() {
    }

    /**
     * Texts as read.
     *
     * @param file the file or folder read
     * @param texts the texts
     * @param labels each text's label, or null where it has none
     * @param entries where each text came from: {@code spam/1.txt}, {@code line 7}
     */
    public record Texts(Path file, List<String> texts, List<String> labels, List<String> entries) {
        public int size() {
            return texts.size();
        }
    }

    /** Reads and tokenises a training or test part (token ids and the tokenizer's attention masks): every text needs a label. */
    static RawPart read(Path path, TextSpec spec, String labelField, TextTokenizer tokenizer) {
        Texts t = texts(path, spec.field(), labelField == null ? "label" : labelField, true);
        TextTokenizer.Tokens tokens = tokenizer.tokens(t.texts());
        return new RawPart(path, tokens.ids(), new long[] {tokenizer.maxLength()}, t.labels().toArray(String[]::new),
                t.entries().toArray(String[]::new), tokens.attentionMask());
    }

    /**
     * @param path a folder of class sub-folders (or of texts), a .csv, .json or .jsonl file
     * @param field the text field of CSV/JSON
     * @param labelField the label field of CSV/JSON
     * @param labelsRequired whether a text without a label is an error
     */
    public static Texts texts(Path path, String field, String labelField, boolean labelsRequired) {
        Texts t;
        if (Files.isDirectory(path)) {
            t = folder(path, labelsRequired);
        } else if (!Files.isRegularFile(path)) {
            throw new DataSourceException("text data " + path + " not found (or not a file or folder)");
        } else {
            String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
            if (n.endsWith(".csv")) {
                t = csv(path, field, labelField, labelsRequired);
            } else if (n.endsWith(".json") || n.endsWith(".jsonl")) {
                t = json(path, field, labelField, labelsRequired, n.endsWith(".jsonl"));
            } else {
                t = new Texts(path, List.of(checked(path, "", utf8(path, readAll(path)))), nullList(1),
                        List.of(path.getFileName().toString()));
            }
        }
        if (t.size() == 0) {
            throw new DataSourceException("text data " + path + " holds no texts");
        }
        return t;
    }

    private static List<String> nullList(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(null);
        }
        return l;
    }

    private static Texts folder(Path root, boolean labelsRequired) {
        List<String> texts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        for (Path p : ImageFolderSource.list(root, root)) {
            if (ImageFolderSource.hidden(p)) {
                continue;
            }
            if (Files.isDirectory(p)) {
                String label = p.getFileName().toString();
                for (Path f : ImageFolderSource.list(root, p)) {
                    if (!ImageFolderSource.hidden(f) && Files.isRegularFile(f)) {
                        String where = root.relativize(f).toString();
                        texts.add(checked(root, where, utf8(f, readAll(f))));
                        labels.add(label);
                        entries.add(where);
                    }
                }
            } else if (Files.isRegularFile(p)) {
                if (labelsRequired) {
                    throw new DataSourceException("text folder " + root + ": " + p.getFileName() + " has no label:"
                            + " put every text in a sub-folder named after its class");
                }
                String where = p.getFileName().toString();
                texts.add(checked(root, where, utf8(p, readAll(p))));
                labels.add(null);
                entries.add(where);
            }
        }
        return new Texts(root, texts, labels, entries);
    }

    private static Texts csv(Path file, String field, String labelField, boolean labelsRequired) {
        CsvSource.Rows rows = CsvSource.rows(file);
        if (rows.cells().isEmpty()) {
            throw new DataSourceException("CSV file " + file + " holds no rows");
        }
        String[] header = rows.cells().get(0);
        int text = column(header, field);
        int label = column(header, labelField);
        if (text < 0) {
            throw new DataSourceException("CSV file " + file + ": no column named " + DataSourceException.quote(field)
                    + " (the text) in the header row; columns are " + String.join(", ", header));
        }
        if (label < 0 && labelsRequired) {
            throw new DataSourceException("CSV file " + file + ": no column named "
                    + DataSourceException.quote(labelField) + " (the label) in the header row; columns are "
                    + String.join(", ", header));
        }
        List<String> texts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        for (int r = 1; r < rows.cells().size(); r++) {
            String[] cells = rows.cells().get(r);
            String where = "line " + rows.lines().get(r);
            if (cells.length != header.length) {
                throw new DataSourceException("CSV file " + file + " " + where + " has " + cells.length
                        + " columns but the header has " + header.length);
            }
            texts.add(checked(file, where, cells[text]));
            labels.add(label(file, where, label < 0 ? null : cells[label], labelField, labelsRequired));
            entries.add(where);
        }
        return new Texts(file, texts, labels, entries);
    }

    private static int column(String[] header, String name) {
        for (int c = 0; c < header.length; c++) {
            if (header[c].equals(name)) {
                return c;
            }
        }
        return -1;
    }

    private static Texts json(Path file, String field, String labelField, boolean labelsRequired, boolean lines) {
        String all = utf8(file, readAll(file));
        List<JsonNode> items = new ArrayList<>();
        List<String> where = new ArrayList<>();
        try {
            if (lines) {
                String[] ls = all.split("\n", -1);
                for (int i = 0; i < ls.length; i++) {
                    if (!ls[i].isBlank()) {
                        items.add(JSON.readTree(ls[i]));
                        where.add("line " + (i + 1));
                    }
                }
            } else {
                JsonNode root = JSON.readTree(all);
                if (root == null || !root.isArray()) {
                    throw new DataSourceException("JSON file " + file + " must hold an array of objects (or use .jsonl:"
                            + " one object a line)");
                }
                for (int i = 0; i < root.size(); i++) {
                    items.add(root.get(i));
                    where.add("item " + i + " (0-based)");
                }
            }
        } catch (JsonProcessingException e) {
            throw new DataSourceException("JSON file " + file + " " + (lines ? "line " + (items.size() + 1) + " " : "")
                    + "is not valid JSON: " + e.getOriginalMessage(), e);
        }
        List<String> texts = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode o = items.get(i);
            if (!o.isObject()) {
                throw new DataSourceException("JSON file " + file + " " + where.get(i) + " is not an object");
            }
            JsonNode t = o.get(field);
            if (t == null || !t.isTextual()) {
                throw new DataSourceException("JSON file " + file + " " + where.get(i) + ": no text field "
                        + DataSourceException.quote(field) + (t == null ? "" : " (it is not a string)"));
            }
            texts.add(checked(file, where.get(i), t.asText()));
            JsonNode l = o.get(labelField);
            labels.add(label(file, where.get(i), l == null || l.isNull() ? null : l.asText(), labelField,
                    labelsRequired));
        }
        return new Texts(file, texts, labels, where);
    }

    private static String label(Path file, String where, String value, String labelField, boolean required) {
        if (value == null || value.isBlank()) {
            if (required) {
                throw new DataSourceException("text data " + file + " " + where + ": the label "
                        + DataSourceException.quote(labelField) + " is missing or empty");
            }
            return null;
        }
        return value.trim();
    }

    private static String checked(Path file, String where, String text) {
        if (text.isBlank()) {
            throw new DataSourceException("text data " + file + (where.isEmpty() ? "" : " " + where)
                    + ": the text is empty");
        }
        return text;
    }

    private static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataSourceException("cannot read text file " + file + ": " + e, e);
        }
    }

    /** Strict UTF-8: bytes that are not UTF-8 are an error naming the file and the byte offset. */
    static String utf8(Path file, byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            throw new DataSourceException("text file " + file + " is not UTF-8 (unreadable bytes at offset "
                    + in.position() + "); convert it, e.g. iconv -f latin1 -t utf-8");
        }
        d.flush(out);
        String s = out.flip().toString();
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }
}
