package org.distill4j.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a {@link RunConfig} from YAML strictly: unknown keys, duplicate keys, wrong types
 * (no string-to-number coercion) and out-of-range values are errors. Each error is one line
 * naming the file position, the key path, and what is allowed.
 *
 * <p>Unknown keys and unknown {@code name:}/{@code type:} ids anywhere in the file are reported
 * before any other mistake (see {@link ConfigKeys}), with the nearest known one suggested
 * ({@code did you mean 'teacher'?}) when one is close.
 */
public final class ConfigLoader {
    private static final ObjectMapper BASE = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Pattern KNOWN_IDS = Pattern.compile("known type ids = \\[([^\\]]*)\\]");
    private static final Pattern TYPE_ID = Pattern.compile("type id '([^']*)'");
    private static final Pattern MISSING_ID = Pattern.compile("missing type id property '([^']*)'");

    private ConfigLoader() {}

    /** The mapper in use: {@link #BASE} with the user's registered types (rebuilt when they change). */
    private static volatile ObjectMapper YAML = BASE.copy();
    private static java.util.List<Map<String, Class<?>>> registered = java.util.List.of(Map.of(), Map.of());

    /**
     * Makes the methods and schemes registered from user code (see {@link Registry}) readable by
     * name. A mapper caches the deserializers it has built, with the subtypes known then, so a
     * registration after a config was read (in the same JVM) gets a fresh copy of {@link #BASE}.
     */
    private static synchronized void registerUserTypes() {
        java.util.List<Map<String, Class<?>>> now = java.util.List.of(
                Registry.registered(org.distill4j.method.MethodSpec.class),
                Registry.registered(org.distill4j.scheme.SchemeSpec.class));
        if (!now.equals(registered)) {
            YAML = Registry.configure(BASE.copy());
            registered = now;
        }
    }

    /** The config as YAML that {@link #parse} reads back to an equal config (frozen into run directories). */
    public static String toYaml(RunConfig config) {
        try {
            registerUserTypes();
            return YAML.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Dotted paths of the keys whose values differ between two configs (for drift errors). */
    public static java.util.List<String> differingKeys(RunConfig a, RunConfig b) {
        registerUserTypes();
        java.util.List<String> out = new java.util.ArrayList<>();
        diff("", YAML.valueToTree(a), YAML.valueToTree(b), out);
        return out;
    }

    private static void diff(String path, com.fasterxml.jackson.databind.JsonNode a,
            com.fasterxml.jackson.databind.JsonNode b, java.util.List<String> out) {
        if (a != null && b != null && a.isObject() && b.isObject()) {
            java.util.TreeSet<String> keys = new java.util.TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                diff(path.isEmpty() ? k : path + "." + k, a.get(k), b.get(k), out);
            }
        } else if (a == null || !a.equals(b)) {
            out.add(path + " (" + a + " → " + b + ")");
        }
    }

    /**
     * Reads a run config; relative data paths are resolved against the file's directory (the
     * config holds them absolute from here on, as frozen into the run directory).
     */
    public static RunConfig load(Path file) throws ConfigException {
        return load(file, List.of());
    }

    /**
     * Reads a run config with {@code --set KEY=VALUE} overrides applied to the YAML tree before
     * binding, validated like the file: an unknown key path is an error naming the override, with
     * the nearest known key. A value is read as YAML ({@code 2}, {@code csv}, {@code [8, 16]},
     * {@code {type: sgd, lr: 0.1}}); {@code null} or nothing removes the key (its default applies).
     */
    public static RunConfig load(Path file, List<String> overrides) throws ConfigException {
        String text = read(file);
        RunConfig cfg = overrides.isEmpty() ? parse(text, file.toString(), RunConfig.class)
                : parseWithOverrides(text, file.toString(), overrides);
        Path dir = file.toAbsolutePath().getParent();
        cfg = cfg.teacher() == null ? cfg : cfg.withTeacher(cfg.teacher().resolvedAgainst(dir));
        return cfg.withData(cfg.data().resolvedAgainst(dir));
    }

    static RunConfig parseWithOverrides(String yaml, String source, List<String> overrides) throws ConfigException {
        registerUserTypes();
        com.fasterxml.jackson.databind.JsonNode tree;
        try {
            tree = YAML.readTree(yaml);
        } catch (IOException | RuntimeException e) {
            return parse(yaml, source, RunConfig.class); // reports the malformed YAML
        }
        if (tree == null || !tree.isObject()) {
            return parse(yaml, source, RunConfig.class);
        }
        ConfigKeys.Problem inFile = ConfigKeys.firstUnknown(tree, RunConfig.class);
        if (inFile != null) {
            throw new ConfigException(at(source, locations(yaml).get(inFile.pointer())) + inFile.message());
        }
        com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode) tree;
        for (String override : overrides) {
            apply(root, override);
            ConfigKeys.Problem unknown = ConfigKeys.firstUnknown(root, RunConfig.class);
            if (unknown != null) {
                throw new ConfigException("--set " + override + ": " + unknown.message());
            }
        }
        String merged;
        try {
            merged = YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return parse(merged, source + " with --set " + String.join(" --set ", overrides), RunConfig.class);
    }

    /** Sets {@code a.b.c=value} in {@code root}: missing mappings are created, list items named by index. */
    static void apply(com.fasterxml.jackson.databind.node.ObjectNode root, String override) throws ConfigException {
        int eq = override.indexOf('=');
        String key = eq < 0 ? "" : override.substring(0, eq).trim();
        if (eq < 0 || key.isEmpty() || key.startsWith(".") || key.endsWith(".") || key.contains("..")) {
            throw new ConfigException("--set " + override + ": expected KEY.PATH=VALUE, e.g. student.train.epochs=2");
        }
        String text = override.substring(eq + 1);
        com.fasterxml.jackson.databind.JsonNode value;
        try {
            value = text.isBlank() ? null : YAML.readTree(text);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("--set " + override + ": the value is not valid YAML (" + firstLine(
                    e instanceof JsonProcessingException j ? j.getOriginalMessage() : String.valueOf(e.getMessage()))
                    + ")");
        }
        if (value != null && (value.isMissingNode() || value.isNull())) {
            value = null;
        }
        String[] parts = key.split("\\.");
        com.fasterxml.jackson.databind.JsonNode node = root;
        String walked = "";
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            boolean last = i == parts.length - 1;
            if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode obj) {
                if (last) {
                    if (value == null) {
                        obj.remove(part);
                    } else {
                        obj.set(part, value);
                    }
                    return;
                }
                com.fasterxml.jackson.databind.JsonNode next = obj.get(part);
                if (next == null || next.isNull()) {
                    next = obj.putObject(part);
                } else if (!next.isContainerNode()) {
                    throw new ConfigException("--set " + override + ": " + dotted(walked, part) + " is the value "
                            + next + ", not a mapping; set " + dotted(walked, part) + " itself");
                }
                node = next;
            } else if (node instanceof com.fasterxml.jackson.databind.node.ArrayNode arr) {
                int index = part.matches("\\d{1,6}") ? Integer.parseInt(part) : -1;
                if (index < 0 || index >= arr.size()) {
                    throw new ConfigException("--set " + override + ": " + walked + " is a list of " + arr.size()
                            + " items; name one by its 0-based index (" + walked + ".0)");
                }
                if (last) {
                    if (value == null) {
                        arr.remove(index);
                    } else {
                        arr.set(index, value);
                    }
                    return;
                }
                node = arr.get(index);
                if (!node.isContainerNode()) {
                    throw new ConfigException("--set " + override + ": " + walked + "." + part + " is the value "
                            + node + ", not a mapping; set " + walked + "." + part + " itself");
                }
            }
            walked = dotted(walked, part);
        }
    }

    /** An enum value as YAML writes it: its {@code @JsonProperty} name (e.g. {@code skip-batch}), else its name in lower case. */
    private static String yamlName(Enum<?> value) {
        try {
            com.fasterxml.jackson.annotation.JsonProperty p = value.getDeclaringClass().getField(value.name())
                    .getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
            return p != null ? p.value() : value.name().toLowerCase(java.util.Locale.ROOT);
        } catch (NoSuchFieldException e) {
            return value.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static String dotted(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String read(Path file) throws ConfigException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such config file");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config: " + e.getMessage());
        }
    }

    public static RunConfig parse(String yaml, String source) throws ConfigException {
        return parse(yaml, source, RunConfig.class);
    }

    /** Reads a YAML document into {@code type} (a run config, a benchmark's config) with the same strictness and messages. */
    public static <T> T load(Path file, Class<T> type) throws ConfigException {
        return parse(read(file), file.toString(), type);
    }

    /** Reads a YAML document into {@code type} with the same strictness and messages; {@code source} names it in them. */
    public static <T> T parse(String yaml, String source, Class<T> type) throws ConfigException {
        registerUserTypes();
        if (yaml.isBlank()) {
            throw new ConfigException(source + ": the config is empty; see examples/ for a complete one");
        }
        // Unknown keys and ids first: binding would stop at the first record whose constructor
        // rejects a missing section, which is misleading when the section is only misspelt.
        com.fasterxml.jackson.databind.JsonNode tree = null;
        try {
            tree = YAML.readTree(yaml);
        } catch (IOException | RuntimeException e) {
            // Malformed YAML or duplicate keys: the binding below reports them.
        }
        if (tree != null) {
            ConfigKeys.Problem unknown = ConfigKeys.firstUnknown(tree, type);
            if (unknown != null) {
                throw new ConfigException(at(source, locations(yaml).get(unknown.pointer())) + unknown.message());
            }
        }
        try {
            T c = YAML.readValue(yaml, type);
            if (c == null) {
                throw new ConfigException(source + ": the config is empty; see examples/ for a complete one");
            }
            return c;
        } catch (JsonMappingException e) {
            throw new ConfigException(describe(e, yaml, source));
        } catch (JsonProcessingException e) {
            if (e.getCause() instanceof MarkedYAMLException y && y.getProblemMark() != null) {
                // SnakeYAML knows the offending character's position and what is wrong there.
                return fail(source + ":" + (y.getProblemMark().getLine() + 1) + ":" + (y.getProblemMark().getColumn() + 1)
                        + ": malformed YAML: " + firstLine(y.getProblem()));
            }
            throw new ConfigException(at(source, e.getLocation()) + "malformed YAML: " + firstLine(e.getOriginalMessage()));
        } catch (RuntimeException e) {
            // The YAML library can throw unchecked exceptions on some malformed inputs.
            throw new ConfigException(source + ": malformed YAML: " + firstLine(String.valueOf(e.getMessage())));
        }
    }

    private static <T> T fail(String message) throws ConfigException {
        throw new ConfigException(message);
    }

    private static String describe(JsonMappingException e, String yaml, String source) {
        String path = path(e);
        // Records are built after all their keys are read, so Jackson's own location is often the
        // end of the mapping: prefer the position of the key the error is about.
        JsonLocation keyLoc = locations(yaml).get(pointer(e));
        JsonLocation loc = keyLoc != null ? keyLoc : e.getLocation();
        if (e instanceof UnrecognizedPropertyException u) {
            TreeSet<String> known = new TreeSet<>();
            u.getKnownPropertyIds().forEach(k -> known.add(String.valueOf(k)));
            String parent = path.contains(".") ? path.substring(0, path.lastIndexOf('.')) : "(top level)";
            return at(source, loc) + parent + ": unknown key '" + u.getPropertyName() + "'; allowed here: " + known
                    + ConfigKeys.hint(u.getPropertyName(), known);
        }
        if (e instanceof InvalidTypeIdException t) {
            String msg = String.valueOf(t.getOriginalMessage());
            Matcher known = KNOWN_IDS.matcher(msg);
            String allowed = known.find() ? "[" + known.group(1) + "]" : "";
            Matcher missing = MISSING_ID.matcher(msg);
            if (missing.find()) {
                return at(source, loc) + path + ": missing '" + missing.group(1) + "'; one of " + allowed;
            }
            Matcher id = TYPE_ID.matcher(msg);
            if (!id.find()) {
                return at(source, loc) + path + ": unknown kind; known: " + allowed;
            }
            java.util.List<String> ids = allowed.isEmpty() ? java.util.List.of()
                    : java.util.Arrays.asList(allowed.substring(1, allowed.length() - 1).split(",\\s*"));
            return at(source, loc) + path + ": unknown '" + id.group(1) + "'; known: " + allowed
                    + ConfigKeys.hint(id.group(1), ids);
        }
        if (e instanceof ValueInstantiationException v && v.getCause() instanceof IllegalArgumentException iae) {
            // Our records' range checks say "field: rule (got value)"; point at that field's line.
            String msg = String.valueOf(iae.getMessage());
            int colon = msg.indexOf(": ");
            String field = colon > 0 && msg.substring(0, colon).matches("[A-Za-z/]+") ? msg.substring(0, colon) : null;
            String full = field == null ? path : join(path, field.contains("/") ? field : field);
            JsonLocation fieldLoc = field == null ? null : locations(yaml).get(pointer(e) + "/" + field);
            return at(source, fieldLoc != null ? fieldLoc : loc) + full + ": "
                    + (field == null ? msg : msg.substring(colon + 2));
        }
        if (e instanceof InvalidFormatException f) {
            Class<?> target = f.getTargetType();
            if (target != null && target.isEnum()) {
                TreeSet<String> names = new TreeSet<>();
                for (Object c : target.getEnumConstants()) {
                    names.add(yamlName((Enum<?>) c));
                }
                return at(source, loc) + path + ": '" + f.getValue() + "' is not allowed; one of " + names
                        + ConfigKeys.hint(String.valueOf(f.getValue()), names);
            }
            return at(source, loc) + path + ": expected " + kind(target) + ", got '" + f.getValue() + "'";
        }
        if (e instanceof MismatchedInputException m) {
            Class<?> target = m.getTargetType();
            String msg = firstLine(m.getOriginalMessage());
            if (target != null && msg.startsWith("Cannot")) {
                return at(source, loc) + path + ": expected " + kind(target) + " (" + msg + ")";
            }
            return at(source, loc) + path + ": " + msg;
        }
        return at(source, loc) + path + ": " + firstLine(e.getOriginalMessage());
    }

    private static String kind(Class<?> t) {
        if (t == null) {
            return "a different value";
        }
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
            return "a whole number";
        }
        if (t == Double.class || t == double.class) {
            return "a number";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a string";
        }
        if (java.util.Collection.class.isAssignableFrom(t)) {
            return "a list";
        }
        return "a mapping (" + t.getSimpleName() + ")";
    }

    private static String path(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            } else if (r.getFieldName() != null) {
                b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
            }
        }
        return b.length() == 0 ? "(top level)" : b.toString();
    }

    private static String pointer(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            b.append('/').append(r.getIndex() >= 0 ? String.valueOf(r.getIndex()) : r.getFieldName());
        }
        return b.toString();
    }

    private static String join(String path, String field) {
        return path.equals("(top level)") ? field : path + "." + field;
    }

    /** Position of every key, by JSON pointer, so range errors can name the offending line. */
    private static Map<String, JsonLocation> locations(String yaml) {
        Map<String, JsonLocation> out = new HashMap<>();
        try (JsonParser p = new YAMLFactory().createParser(yaml)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME) {
                    out.putIfAbsent(p.getParsingContext().pathAsPointer().toString(), p.currentTokenLocation());
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // Best effort: the caller falls back to the mapper's location.
        }
        return out;
    }

    private static String at(String source, JsonLocation loc) {
        if (loc == null || loc.getLineNr() < 1) {
            return source + ": ";
        }
        return source + ":" + loc.getLineNr() + ":" + loc.getColumnNr() + ": ";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
