package org.distill4j.config;

/** A configuration file is not valid; the message is one line: {@code file:line:col: key: problem}. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
