package org.distill4j.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a checkpoint or a saved network was made from: the digests of the data splits (train,
 * validation, test, from {@code Dataset.digest()}), the preprocessing, the teacher's weights and
 * the effective config. Resuming or loading compares the saved provenance with the current one
 * ({@link #differences}) and stops on a difference the user has not accepted.
 *
 * @param data digest of each split, by split name
 * @param preprocessing how inputs were prepared (normalisation, shape, augmentation)
 * @param teacher the teacher's weights digest (null: none, or not known yet)
 * @param config the effective config's digest
 */
public record Provenance(Map<String, String> data, String preprocessing, String teacher, String config) {
    public Provenance {
        data = data == null ? Map.of() : new LinkedHashMap<>(data);
    }

    public Provenance withTeacher(String t) {
        return new Provenance(data, preprocessing, t, config);
    }

    public Provenance withConfig(String c) {
        return new Provenance(data, preprocessing, teacher, c);
    }

    /** One differing item: {@code what} (e.g. "data.train", "teacher"), its saved and current digests. */
    public record Difference(String what, String saved, String now) {
        /** Whether it concerns the data or its preprocessing (else the teacher or the config). */
        public boolean isData() {
            return what.startsWith("data.") || what.equals("preprocessing");
        }

        @Override
        public String toString() {
            return what + " (" + abbrev(saved) + " → " + abbrev(now) + ")";
        }
    }

    /**
     * What differs between {@code saved} and this provenance; an item missing on either side
     * (e.g. the teacher before it is known) is not compared.
     */
    public List<Difference> differences(Provenance saved) {
        List<Difference> out = new ArrayList<>();
        if (saved == null) {
            return out;
        }
        for (Map.Entry<String, String> e : saved.data().entrySet()) {
            String now = data.get(e.getKey());
            if (now != null && e.getValue() != null && !now.equals(e.getValue())) {
                out.add(new Difference("data." + e.getKey(), e.getValue(), now));
            }
        }
        if (saved.preprocessing() != null && preprocessing != null && !saved.preprocessing().equals(preprocessing)) {
            out.add(new Difference("preprocessing", saved.preprocessing(), preprocessing));
        }
        if (saved.teacher() != null && teacher != null && !saved.teacher().equals(teacher)) {
            out.add(new Difference("teacher", saved.teacher(), teacher));
        }
        if (saved.config() != null && config != null && !saved.config().equals(config)) {
            out.add(new Difference("config", saved.config(), config));
        }
        return out;
    }

    /** The SHA-256 of {@code text}'s UTF-8 bytes, in hex: how a digest of several digests (or of statistics) is made. */
    public static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The SHA-256 of a file's bytes, in hex (how exported and knowledge-base files are checksummed). */
    public static String sha256(java.nio.file.Path file) throws java.io.IOException {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (java.io.IOException e) {
            throw AtomicFile.named(file, "cannot read", e);
        }
    }

    /** The first 12 characters of a hex digest (a preprocessing string is shown whole). */
    public static String abbrev(String digest) {
        if (digest == null) {
            return "none";
        }
        return digest.matches("[0-9a-f]{16,}") ? digest.substring(0, 12) + "…" : "'" + digest + "'";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Provenance p && data.equals(p.data) && Objects.equals(preprocessing, p.preprocessing)
                && Objects.equals(teacher, p.teacher) && Objects.equals(config, p.config);
    }

    @Override
    public int hashCode() {
        return Objects.hash(data, preprocessing, teacher, config);
    }
}
