package org.distill4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inputs to predict, read as the data sources read theirs: CSV rows with or without header and label, images. */
class InputsTest {
    static Preprocessing csvModel(String label) {
        Normalisation n = new Normalisation(Normalisation.Layout.PER_FEATURE, List.of(3L), List.of(0.0, 0.0, 0.0),
                List.of(1.0, 1.0, 1.0), List.of("a", "b"));
        return Preprocessing.of("csv", n, label);
    }

    static Preprocessing imageModel(int channels) {
        Normalisation n = new Normalisation(Normalisation.Layout.PER_CHANNEL, List.of((long) channels, 4L, 4L),
                java.util.Collections.nCopies(channels, 0.5), java.util.Collections.nCopies(channels, 0.25),
                List.of("dark", "light"));
        return Preprocessing.of("images", n, null);
    }

    static List<Inputs.Input> csv(Path dir, String text, Preprocessing pre) throws Exception {
        return Inputs.read(Files.writeString(dir.resolve("in.csv"), text), pre);
    }

    @Test
    void csvRowsWithOrWithoutHeaderAndLabelColumn(@TempDir Path dir) throws Exception {
        // Features only, no header.
        List<Inputs.Input> plain = csv(dir, "1,2,3\n\n4,5,6\n", csvModel(null));
        assertEquals(2, plain.size());
        assertArrayEquals(new float[] {4, 5, 6}, plain.get(1).raw());
        assertEquals("line 3", plain.get(1).where()); // blank lines skipped, lines numbered as in the file
        assertNull(plain.get(0).label());
        // A header of names, no label column.
        List<Inputs.Input> named = csv(dir, "x,y,z\n1,2,3\n", csvModel("kind"));
        assertArrayEquals(new float[] {1, 2, 3}, named.get(0).raw());
        assertEquals("line 2", named.get(0).where());
        // The training label column found by name, wherever it is.
        List<Inputs.Input> byName = csv(dir, "x,kind,y,z\n1,b,2,3\n", csvModel("kind"));
        assertArrayEquals(new float[] {1, 2, 3}, byName.get(0).raw());
        assertEquals("b", byName.get(0).label());
        // No header: the recorded index, else the last column.
        assertEquals("a", csv(dir, "7,a,8,9\n", csvModel("1")).get(0).label());
        assertArrayEquals(new float[] {7, 8, 9}, csv(dir, "7,a,8,9\n", csvModel("1")).get(0).raw());
        List<Inputs.Input> last = csv(dir, "7,8,9,a\n", csvModel(null));
        assertEquals("a", last.get(0).label());
        assertArrayEquals(new float[] {7, 8, 9}, last.get(0).raw());
        // Numeric labels: the first row is still data.
        assertEquals(2, csv(dir, "1,2,3,0\n4,5,6,1\n", csvModel(null)).size());
    }

    @Test
    void badCsvInputNamesTheFileAndTheLine(@TempDir Path dir) {
        Path f = dir.resolve("in.csv");
        DataSourceException ragged = assertThrows(DataSourceException.class, () -> csv(dir, "1,2,3\n4,5\n", csvModel(null)));
        assertEquals("CSV file " + f + " line 2 has 2 columns but line 1 has 3; every row needs the same number of columns",
                ragged.getMessage());
        DataSourceException text = assertThrows(DataSourceException.class, () -> csv(dir, "1,2,3\n4,x,6\n", csvModel(null)));
        assertEquals("CSV file " + f + " line 2, column 1: \"x\" is not a number; feature cells must be plain decimal"
                + " numbers", text.getMessage());
        DataSourceException wide = assertThrows(DataSourceException.class, () -> csv(dir, "1,2,3,4,5\n", csvModel(null)));
        assertTrue(wide.getMessage().startsWith("CSV file " + f + " line 1 has 5 columns; this model takes 3 input values"),
                wide.getMessage());
        assertThrows(DataSourceException.class, () -> Inputs.read(dir.resolve("nowhere.csv"), csvModel(null)));
    }

    @Test
    void imagesAndFoldersOfImagesWithSubFolderLabels(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("imgs"));
        BufferedImage white = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                white.setRGB(x, y, 0xFFFFFF);
            }
        }
        ImageIO.write(white, "png", root.resolve("loose.png").toFile());
        Files.createDirectories(root.resolve("light"));
        ImageIO.write(white, "png", root.resolve("light/1.png").toFile());
        Files.createDirectories(root.resolve("dark"));
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", root.resolve("dark/2.png").toFile());
        Files.writeString(root.resolve("notes.txt"), "not an image");
        List<Inputs.Input> in = Inputs.read(root, imageModel(3));
        assertEquals(List.of("loose.png", "dark/2.png", "light/1.png"), in.stream().map(Inputs.Input::where).toList());
        assertEquals(java.util.Arrays.asList(null, "dark", "light"), in.stream().map(Inputs.Input::label).toList());
        assertEquals(3 * 4 * 4, in.get(0).raw().length);
        assertEquals(1f, in.get(0).raw()[0]);
        assertEquals(0f, in.get(1).raw()[47]);
        assertEquals(1, Inputs.read(root.resolve("light/1.png"), imageModel(1)).size());
        DataSourceException forVectors = assertThrows(DataSourceException.class,
                () -> Inputs.read(root.resolve("light/1.png"), csvModel(null)));
        assertTrue(forVectors.getMessage().contains("is an image, but this model takes samples of shape [3]"),
                forVectors.getMessage());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertTrue(assertThrows(DataSourceException.class, () -> Inputs.read(empty, imageModel(1))).getMessage()
                .contains("holds no PNG or JPEG images"));
        Files.writeString(root.resolve("light/broken.png"), "no png");
        assertTrue(assertThrows(DataSourceException.class, () -> Inputs.read(root, imageModel(1))).getMessage()
                .contains("broken.png"));
    }
}
