package org.distill4j.knowledge;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.distill4j.data.Batch;
import org.distill4j.model.TapShapes;

/**
 * A knowledge store split into shards (each a {@link KnowledgeStore} file holding some of the
 * samples), as the Spark job of module {@code spark} writes them: a directory with
 * {@value #MANIFEST} and the shard files it lists. Read by sample id exactly as one file is; a
 * batch may draw rows from any shards.
 *
 * <p>The manifest is published last, after every shard was written, verified and renamed into
 * place: a directory without one is an unfinished job and is never read. It names the digests of
 * the teacher, data and preprocessing the rows were computed from (each shard repeats them), the
 * taps, and per shard its file, row count, smallest and largest sample id and SHA-256. Shards
 * hold disjoint ranges of sample ids, so a row is found by a binary search over the ranges and
 * each shard's index spans only its own range (the store scales with the samples, not with
 * shards × largest id).
 */
public final class ShardedKnowledgeStore implements KnowledgeSource {
    public static final String FORMAT = "distill4j-knowledge-shards/1";
    public static final String MANIFEST = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One shard as the manifest lists it: its file (relative to the manifest), rows and ids. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Shard(String file, int part, int rows, int firstId, int lastId, String sha256) {}

    /** The manifest: what the shards were computed from and where they are. */
    public record Manifest(String format, String teacher, String data, String preprocessing, List<String> taps,
            int samples, List<Shard> shards) {
        public Manifest {
            taps = List.copyOf(taps);
            shards = List.copyOf(shards);
        }

        public KnowledgeStore.Key key() {
            return new KnowledgeStore.Key(teacher, data, preprocessing);
        }

        public byte[] toJson() throws IOException {
            return JSON.writeValueAsBytes(this);
        }

        public static Manifest parse(byte[] json, String where) throws IOException {
            try {
                return JSON.readValue(json, Manifest.class);
            } catch (IOException e) {
                throw new IOException(where + " is not a knowledge store manifest: " + e.getMessage(), e);
            }
        }
    }

    private final Path dir;
    /** The shards by ascending id range: shard k holds ids in [firstIds[k], lastIds[k]], ranges disjoint. */
    private final List<KnowledgeStore> shards;
    private final int[] firstIds;
    private final int[] lastIds;

    private ShardedKnowledgeStore(Path dir, List<KnowledgeStore> shards, int[] firstIds, int[] lastIds) {
        this.dir = dir;
        this.shards = shards;
        this.firstIds = firstIds;
        this.lastIds = lastIds;
    }

    /**
     * The store at {@code path}: a directory of shards with its manifest, or one store file;
     * refused (an {@link IOException} naming the path and what differs) unless it was built for
     * {@code expected} and holds every tap of {@code taps}.
     */
    public static KnowledgeSource open(Path path, KnowledgeStore.Key expected, Collection<String> taps)
            throws IOException {
        if (!Files.isDirectory(path)) {
            if (!Files.exists(path)) {
                throw new IOException("knowledge store " + path + " does not exist");
            }
            KnowledgeStore one = KnowledgeStore.open(path, expected);
            requireTaps(path, one.layout().keySet(), taps);
            return one;
        }
        Path manifestFile = path.resolve(MANIFEST);
        if (!Files.exists(manifestFile)) {
            throw new IOException("knowledge store " + path + " has no " + MANIFEST
                    + ": its build did not finish (run 'distill knowledge build' again)");
        }
        Manifest m = Manifest.parse(Files.readAllBytes(manifestFile), manifestFile.toString());
        if (!FORMAT.equals(m.format())) {
            throw new IOException(manifestFile + " is not a distill4j sharded knowledge store (format " + m.format() + ")");
        }
        String stale = KnowledgeStore.staleness(m.key(), expected);
        if (stale != null) {
            throw new IOException("knowledge store " + path + " is stale: it was built for other " + stale);
        }
        requireTaps(path, m.taps(), taps);
        // each shard holds a contiguous range of sample ids: a batch's rows are found by binary search
        // over the ranges, and each shard's index covers its own range only
        List<Shard> byRange = m.shards().stream().sorted(java.util.Comparator.comparingInt(Shard::firstId)).toList();
        List<KnowledgeStore> shards = new ArrayList<>();
        int[] firstIds = new int[byRange.size()];
        int[] lastIds = new int[byRange.size()];
        int rows = 0;
        for (int k = 0; k < byRange.size(); k++) {
            Shard s = byRange.get(k);
            if (k > 0 && s.firstId() <= lastIds[k - 1]) {
                throw new IOException("knowledge store " + path + ": shards " + byRange.get(k - 1).file() + " and "
                        + s.file() + " overlap in sample ids");
            }
            KnowledgeStore shard = KnowledgeStore.open(path.resolve(s.file()), expected);
            int[] ids = shard.ids();
            if (ids.length != s.rows() || java.util.Arrays.stream(ids).anyMatch(id -> id < s.firstId() || id > s.lastId())) {
                throw new IOException("knowledge store " + path + ": shard " + s.file() + " does not hold the " + s.rows()
                        + " samples of ids " + s.firstId() + "-" + s.lastId() + " its manifest lists");
            }
            shards.add(shard);
            firstIds[k] = s.firstId();
            lastIds[k] = s.lastId();
            rows += ids.length;
        }
        if (rows != m.samples()) {
            throw new IOException("knowledge store " + path + ": its shards hold " + rows + " samples, its manifest says "
                    + m.samples());
        }
        return new ShardedKnowledgeStore(path, shards, firstIds, lastIds);
    }

    /**
     * The local path of a store named by a path or a {@code file:} URI (as the Spark job prints it);
     * a store on another file system (hdfs://, s3a:// …) must be copied next to the run first.
     */
    public static Path localPath(String location) throws IOException {
        if (location.startsWith("file:")) {
            return Path.of(java.net.URI.create(location));
        }
        if (location.matches("[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw new IOException("knowledge store " + location + " is not on a local file system: copy it next to the "
                    + "run (e.g. hdfs dfs -get) and name the copy");
        }
        return Path.of(location);
    }

    private static void requireTaps(Path path, Collection<String> held, Collection<String> wanted) throws IOException {
        List<String> missing = wanted.stream().filter(t -> !held.contains(t)).toList();
        if (!missing.isEmpty()) {
            throw new IOException("knowledge store " + path + " lacks taps " + missing + " (it holds " + held
                    + "): build it with them");
        }
    }

    @Override
    public Knowledge lookup(Batch batch) {
        return KnowledgeStore.lookup(batch, shards.get(0).layout(), (id, tap, dst, at) -> {
            int k = java.util.Arrays.binarySearch(firstIds, id);
            k = k >= 0 ? k : -k - 2; // the last shard whose range starts at or before id
            if (k < 0 || id > lastIds[k] || !shards.get(k).holds(id)) {
                throw new IllegalArgumentException("sample id " + id + " is not in the knowledge store " + dir
                        + ": it was built for another dataset");
            }
            shards.get(k).lookupRow(id, tap, dst, at);
        });
    }

    @Override
    public TapShapes tapShapes() {
        return shards.get(0).tapShapes();
    }

    /** The shard files, by ascending id range. */
    public List<Path> shardFiles() {
        return shards.stream().map(KnowledgeStore::file).toList();
    }

    public Path dir() {
        return dir;
    }

    /** The shard file name of part {@code part} of {@code parts}. */
    public static String shardName(int part, int parts) {
        return String.format("shard-%05d-of-%05d.safetensors", part, parts);
    }
}
