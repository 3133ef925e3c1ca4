package org.distill4j.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The first pass of {@link ConfigLoader}: walks the parsed YAML tree against the target record
 * types (their components, following nested records, lists, maps and the polymorphic
 * {@code name:}/{@code type:} ids of {@link JsonTypeInfo}/{@link JsonSubTypes}) and finds the
 * first unknown key or unknown id in document order, before anything is bound.
 *
 * <p>It runs before binding because Jackson builds a record as soon as its mapping is read, and the
 * records' constructors reject missing sections (e.g. {@code teacher: required}) before Jackson
 * gets to say that a key was misspelt. Whatever this pass does not understand (a scalar where a
 * mapping is expected, a missing or non-string id, a non-record type) it leaves alone: binding
 * then reports it with the usual messages.
 */
final class ConfigKeys {
    private ConfigKeys() {}

    /**
     * An unknown key or id.
     *
     * @param pointer JSON pointer of the offending key (to find its line)
     * @param message the one-line message, without the file position
     */
    record Problem(String pointer, String message) {}

    /** The first unknown key or polymorphic id in {@code root} read as {@code type}, or null if there is none. */
    static Problem firstUnknown(JsonNode root, Class<?> type) {
        return check(root, type, "", "");
    }

    private static Problem check(JsonNode node, Type type, String path, String pointer) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
            Type[] args = p.getActualTypeArguments();
            if (Collection.class.isAssignableFrom(raw) && args.length == 1 && node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    Problem problem = check(node.get(i), args[0], path + "[" + i + "]", pointer + "/" + i);
                    if (problem != null) {
                        return problem;
                    }
                }
            } else if (Map.class.isAssignableFrom(raw) && args.length == 2 && node.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                    Map.Entry<String, JsonNode> e = it.next();
                    Problem problem = check(e.getValue(), args[1], join(path, e.getKey()),
                            pointer + "/" + escape(e.getKey()));
                    if (problem != null) {
                        return problem;
                    }
                }
            }
            return null;
        }
        if (!(type instanceof Class<?> declared) || !node.isObject()) {
            return null;
        }
        Class<?> target = declared;
        String idProperty = null;
        Class<?> base = typeInfoOwner(declared);
        if (base != null) {
            JsonTypeInfo info = base.getAnnotation(JsonTypeInfo.class);
            if (info.use() != JsonTypeInfo.Id.NAME || info.include() != JsonTypeInfo.As.PROPERTY) {
                return null;
            }
            idProperty = info.property().isEmpty() ? info.use().getDefaultPropertyName() : info.property();
            JsonNode id = node.get(idProperty);
            if (id == null || !id.isTextual()) {
                return null;
            }
            Map<String, Class<?>> subtypes = subtypes(base, declared);
            target = subtypes.get(id.asText());
            if (target == null) {
                Set<String> known = new TreeSet<>(subtypes.keySet());
                return new Problem(pointer + "/" + escape(idProperty), display(path) + ": unknown '" + id.asText()
                        + "'; known: " + known + hint(id.asText(), known));
            }
        }
        if (!target.isRecord()) {
            return null;
        }
        Map<String, Type> components = new LinkedHashMap<>();
        for (RecordComponent c : target.getRecordComponents()) {
            // a component may be spelt otherwise in YAML (TeacherSpec's 'import', a Java keyword)
            com.fasterxml.jackson.annotation.JsonProperty renamed =
                    c.getAccessor().getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
            components.put(renamed != null && !renamed.value().isEmpty() ? renamed.value() : c.getName(),
                    c.getGenericType());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (key.equals(idProperty)) {
                continue;
            }
            Type componentType = components.get(key);
            if (componentType == null) {
                Set<String> allowed = new TreeSet<>(components.keySet());
                if (idProperty != null) {
                    allowed.add(idProperty);
                }
                return new Problem(pointer + "/" + escape(key), display(path) + ": unknown key '" + key
                        + "'; allowed here: " + allowed + hint(key, allowed));
            }
            Problem problem = check(e.getValue(), componentType, join(path, key), pointer + "/" + escape(key));
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    /** {@code "; did you mean 'x'?"} for the nearest of {@code known}, or the empty string. */
    static String hint(String typed, Collection<String> known) {
        return nearest(typed, known).map(k -> "; did you mean '" + k + "'?").orElse("");
    }

    /**
     * The known name nearest to {@code typed}: equal ignoring case first, then the smallest
     * Damerau (optimal string alignment) distance up to 2, then one being a prefix of the other.
     * A distance must be below the length of the shorter name, and a prefix at least 2
     * characters, so a two-letter id such as {@code at} is not offered for any two letters. Ties
     * go to the name sharing the longest start with {@code typed} (typos are rarer in the first
     * letters: {@code kdd} is {@code kd}, not {@code dkd}), then the closest length, then
     * alphabetical order.
     */
    static Optional<String> nearest(String typed, Collection<String> known) {
        String t = typed.toLowerCase(Locale.ROOT);
        String best = null;
        int bestScore = Integer.MAX_VALUE;
        for (String k : new TreeSet<>(known)) {
            String kl = k.toLowerCase(Locale.ROOT);
            int shorter = Math.min(t.length(), kl.length());
            int score;
            if (kl.equals(t)) {
                score = 0;
            } else {
                int d = distance(t, kl);
                if (d <= 2 && d < shorter) {
                    score = d;
                } else if (shorter >= 2 && (kl.startsWith(t) || t.startsWith(kl))) {
                    score = 3;
                } else {
                    continue;
                }
            }
            if (score < bestScore || score == bestScore && closer(t, kl, best.toLowerCase(Locale.ROOT))) {
                best = k;
                bestScore = score;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Between two names equally far from {@code t}: the longer common start wins, then the closer length. */
    private static boolean closer(String t, String candidate, String best) {
        int a = commonPrefix(t, candidate);
        int b = commonPrefix(t, best);
        if (a != b) {
            return a > b;
        }
        return Math.abs(candidate.length() - t.length()) < Math.abs(best.length() - t.length());
    }

    private static int commonPrefix(String a, String b) {
        int n = 0;
        while (n < a.length() && n < b.length() && a.charAt(n) == b.charAt(n)) {
            n++;
        }
        return n;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** The class or interface (c itself or a supertype) carrying the {@link JsonTypeInfo}, or null. */
    private static Class<?> typeInfoOwner(Class<?> c) {
        if (c == null || c == Object.class) {
            return null;
        }
        if (c.isAnnotationPresent(JsonTypeInfo.class)) {
            return c;
        }
        for (Class<?> i : c.getInterfaces()) {
            Class<?> owner = typeInfoOwner(i);
            if (owner != null) {
                return owner;
            }
        }
        return typeInfoOwner(c.getSuperclass());
    }

    /** Registered ids of {@code base}'s subtypes that can stand where {@code declared} is expected. */
    private static Map<String, Class<?>> subtypes(Class<?> base, Class<?> declared) {
        Map<String, Class<?>> out = new LinkedHashMap<>();
        Registry.registered(base).forEach((name, type) -> {
            if (declared.isAssignableFrom(type)) {
                out.put(name, type);
            }
        });
        JsonSubTypes subs = base.getAnnotation(JsonSubTypes.class);
        if (subs == null) {
            return out;
        }
        for (JsonSubTypes.Type s : subs.value()) {
            if (!declared.isAssignableFrom(s.value())) {
                continue;
            }
            JsonTypeName typeName = s.value().getAnnotation(JsonTypeName.class);
            String name = !s.name().isEmpty() ? s.name() : typeName != null ? typeName.value() : null;
            if (name != null) {
                out.put(name, s.value());
            }
            for (String alias : s.names()) {
                out.put(alias, s.value());
            }
        }
        return out;
    }

    private static String display(String path) {
        return path.isEmpty() ? "(top level)" : path;
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }
}
