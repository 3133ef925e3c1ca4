package org.distill4j.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.distill4j.config.RunConfig;
import org.distill4j.io.AtomicFile;

/**
 * Everything a run did, written as {@code record.json} beside its models: config, seed,
 * versions, data and teacher digests, each model's learning curve and metrics. The HTML report
 * is rendered from it. {@code schemeResults} holds what a scheme measures beyond its models
 * (e.g. churn between online peers, per-exit accuracy); null for offline runs. {@code provenance}
 * holds the digests the run's models were made from; {@code sittings} each process's part of
 * the run (one more per resume, with the changes accepted for it), and {@code totalSeconds}
 * their sum.
 */
public record RunRecord(
        int formatVersion,
        String runId,
        String createdAt,
        Map<String, String> versions,
        long seed,
        RunConfig config,
        Map<String, String> dataDigests,
        Map<String, Integer> dataSizes,
        String teacherDigest,
        List<ModelResult> models,
        double totalSeconds,
        com.fasterxml.jackson.databind.JsonNode schemeResults,
        org.distill4j.io.Provenance provenance,
        List<Sitting> sittings,
        DataInfo data) {
    public RunRecord {
        sittings = sittings == null ? List.of() : List.copyOf(sittings);
    }

    public static final int FORMAT_VERSION = 1;

    /**
     * What the models were trained on and need to be applied to new inputs (null in records
     * written before it existed): the source, the sample shape and the normalisation with the
     * class names, as {@code <model>.model.json} beside each saved network also holds them.
     *
     * @param source {@code fashion-mnist}, {@code idx}, {@code csv} or {@code images}
     * @param origin the directory, file or folder read (null when not known)
     * @param normalisation per-channel or per-feature statistics of the training split, and the class names
     */
    public record DataInfo(String source, String origin, org.distill4j.data.Normalisation normalisation) {
    }

    /** A record without {@link DataInfo} (as written before it existed). */
    public RunRecord(int formatVersion, String runId, String createdAt, Map<String, String> versions, long seed,
            RunConfig config, Map<String, String> dataDigests, Map<String, Integer> dataSizes, String teacherDigest,
            List<ModelResult> models, double totalSeconds, com.fasterxml.jackson.databind.JsonNode schemeResults) {
        this(formatVersion, runId, createdAt, versions, seed, config, dataDigests, dataSizes, teacherDigest, models,
                totalSeconds, schemeResults, null, List.of(), null);
    }

    /** JSON mapper for records: NaN (no validation set) is written as the string "NaN". */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .configure(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN, true)
            .build();

    public ModelResult model(String name) {
        return models.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no model '" + name + "' in run " + runId));
    }

    public void write(Path file) throws IOException {
        AtomicFile.write(file, out -> mapper().writeValue(out, this));
    }

    public static RunRecord read(Path file) throws IOException {
        try {
            return mapper().readValue(file.toFile(), RunRecord.class);
        } catch (IOException e) {
            throw AtomicFile.named(file, "cannot read run record", e);
        }
    }

    /**
     * {@link #JSON} with the user's registered methods and schemes. A fresh copy each time: a
     * mapper caches its (de)serializers with the subtypes known when they were built, so types
     * registered after a first record was written in this JVM would otherwise go unseen.
     */
    private static ObjectMapper mapper() {
        return org.distill4j.config.Registry.configure(JSON.copy());
    }
}
