package org.distill4j.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.method.MethodSpec;
import org.distill4j.scheme.SchemeSpec;

/**
 * The names a config may use for methods and schemes defined outside distill4j. A user's own
 * {@link MethodSpec} or {@link SchemeSpec} record, registered under a name before its config is
 * read, is chosen in YAML by that name like a built-in one ({@code method: {name: my-loss,
 * weight: 2}}); the built-in ones are listed on those interfaces. A config never names a Java
 * class: only registered names are accepted.
 */
public final class Registry {
    private static final Map<Class<?>, Map<String, Class<?>>> USER = new LinkedHashMap<>();

    private Registry() {}

    /** Registers a method record under {@code name}. */
    public static void method(String name, Class<? extends MethodSpec> type) {
        register(MethodSpec.class, name, type);
    }

    /** Registers a scheme record under {@code name}. */
    public static void scheme(String name, Class<? extends SchemeSpec> type) {
        register(SchemeSpec.class, name, type);
    }

    /**
     * Makes {@code mapper} read and write the registered types by their names (a run's config,
     * record and frozen YAML name a user's method as the user registered it). Returns the mapper.
     */
    public static synchronized <M extends com.fasterxml.jackson.databind.ObjectMapper> M configure(M mapper) {
        USER.values().forEach(byName -> byName.forEach((name, type) -> mapper.registerSubtypes(
                new com.fasterxml.jackson.databind.jsontype.NamedType(type, name))));
        return mapper;
    }

    /** The user-registered types of {@code base} by name. */
    public static synchronized Map<String, Class<?>> registered(Class<?> base) {
        return Map.copyOf(USER.getOrDefault(base, Map.of()));
    }

    private static synchronized void register(Class<?> base, String name, Class<?> type) {
        String what = base == MethodSpec.class ? "method" : "scheme";
        if (name == null || !name.matches("[a-z][a-z0-9-]{0,63}")) {
            throw new IllegalArgumentException(what + " name: lower-case letters, digits and '-', starting with a "
                    + "letter (got '" + name + "')");
        }
        if (!type.isRecord()) {
            throw new IllegalArgumentException(type.getName() + ": a " + what + " is a record (its parameters)");
        }
        for (JsonSubTypes.Type t : base.getAnnotation(JsonSubTypes.class).value()) {
            if (t.name().equals(name)) {
                throw new IllegalArgumentException(what + " '" + name + "' is built in; choose another name");
            }
        }
        Class<?> before = USER.computeIfAbsent(base, b -> new LinkedHashMap<>()).putIfAbsent(name, type);
        if (before != null && before != type) {
            throw new IllegalArgumentException(what + " '" + name + "' is already registered (" + before.getName() + ")");
        }
    }
}
