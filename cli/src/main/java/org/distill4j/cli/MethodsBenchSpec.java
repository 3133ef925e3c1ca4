package org.distill4j.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.config.DataSpec;
import org.distill4j.config.TeacherSpec;
import org.distill4j.method.MethodSpec;
import org.distill4j.model.ModelSpec;
import org.distill4j.train.TrainSpec;

/**
 * The config of {@code distill bench methods} ({@code bench/methods.yaml}): one teacher, the
 * students it is distilled into (the table's columns), the methods (its rows) with their
 * per-student settings, and the one schedule every cell uses.
 *
 * @param data the students' training subset and validation fraction (the test set is always the full 10,000)
 * @param teacher the teacher, trained once on the full training split (or loaded)
 * @param train the students' schedule, the same for every cell
 * @param rows row names in table order; each must be configured for at least one pair
 * @param pairs the teacher → student pairs (columns)
 */
record MethodsBenchSpec(DataSpec data, TeacherSpec teacher, TrainSpec train, List<String> rows, List<Pair> pairs) {
    /**
     * @param name column title, e.g. "cnn → smaller cnn"
     * @param student the student architecture
     * @param methods row name → the method as configured for this pair (taps differ between students)
     * @param notApplicable row name → why the method has no cell for this pair
     */
    record Pair(String name, ModelSpec student, Map<String, MethodSpec> methods, Map<String, String> notApplicable) {
        Pair {
            if (name == null || student == null || methods == null) {
                throw new IllegalArgumentException("pairs: each needs name, student and methods");
            }
            methods = new LinkedHashMap<>(methods);
            notApplicable = notApplicable == null ? Map.of() : new LinkedHashMap<>(notApplicable);
        }
    }

    MethodsBenchSpec {
        if (data == null || teacher == null || train == null || rows == null || pairs == null || pairs.isEmpty()) {
            throw new IllegalArgumentException("data, teacher, train, rows and pairs are all required");
        }
        if (teacher.imported() != null) {
            throw new IllegalArgumentException("teacher: the methods benchmark trains or loads a zoo teacher; an "
                    + "imported one is distilled with ./distill train (see examples/import-onnx.yaml)");
        }
        for (Pair p : pairs) {
            for (String row : p.methods().keySet()) {
                if (!rows.contains(row)) {
                    throw new IllegalArgumentException("pairs." + p.name() + ".methods: '" + row + "' is not in rows " + rows);
                }
            }
            for (String row : rows) {
                if (!p.methods().containsKey(row) && !p.notApplicable().containsKey(row)) {
                    throw new IllegalArgumentException("pairs." + p.name() + ": row '" + row
                            + "' needs a method or a notApplicable reason");
                }
            }
        }
    }
}
