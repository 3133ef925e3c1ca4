package org.distill4j.method;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The registry of methods defined outside distill4j: a user's own {@link MethodSpec} record,
 * registered under a name before its config is read, is chosen in YAML by that name like a
 * built-in one ({@code method: {name: my-loss, weight: 2}}). The built-in methods are listed on
 * {@link MethodSpec}. Config never names a Java class: only registered names are accepted.
 */
public final class Methods {
    private static final Map<String, Class<? extends MethodSpec>> USER = new LinkedHashMap<>();

    private Methods() {}

    /**
     * Registers {@code type} under {@code name}. Registering the same pair twice is harmless; a name
     * already taken by another type (or a built-in method) is an error.
     */
    public static synchronized void register(String name, Class<? extends MethodSpec> type) {
        if (name == null || !name.matches("[a-z][a-z0-9-]{0,63}")) {
            throw new IllegalArgumentException("method name: lower-case letters, digits and '-', starting with a "
                    + "letter (got '" + name + "')");
        }
        if (!type.isRecord()) {
            throw new IllegalArgumentException(type.getName() + ": a method is a record (its parameters)");
        }
        for (var t : MethodSpec.class.getAnnotation(com.fasterxml.jackson.annotation.JsonSubTypes.class).value()) {
            if (t.name().equals(name)) {
                throw new IllegalArgumentException("method '" + name + "' is built in; choose another name");
            }
        }
        Class<? extends MethodSpec> before = USER.putIfAbsent(name, type);
        if (before != null && before != type) {
            throw new IllegalArgumentException("method '" + name + "' is already registered (" + before.getName() + ")");
        }
    }

    /** The user-registered methods by name. */
    public static synchronized Map<String, Class<? extends MethodSpec>> registered() {
        return Map.copyOf(USER);
    }
}
