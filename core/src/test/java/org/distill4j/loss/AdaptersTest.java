package org.distill4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class AdaptersTest {
    @Test
    void learnedTensorReceivesGradientsThroughItsPerStepCopy() {
        try (NDManager m = NDManager.newBaseManager(); Adapters a = new Adapters(m)) {
            a.tensor("alpha", new Shape(3), 0.5f);
            assertEquals(1, a.trainableParameters().size());
            try (NDManager scope = m.newSubManager()) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray alpha = a.tensor("alpha", scope); // as losses do: inside the step's recorder
                    assertEquals(scope, alpha.getManager());
                    gc.backward(alpha.mul(alpha).sum()); // d/dα Σα² = 2α = 1
                }
            }
            NDArray w = a.trainableParameters().get(0).getArray();
            assertArrayEquals(new float[] {1f, 1f, 1f}, w.getGradient().toFloatArray(), 1e-6f);
        }
    }

    @Test
    void blocksTensorsAndStateRoundTripThroughWriteAndRead() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            byte[] saved;
            float[] weights;
            try (Adapters a = new Adapters(m)) {
                a.block("proj", Linear.builder().setUnits(2).build(), new Shape(1, 3));
                a.tensor("alpha", new Shape(2), 0.25f);
                a.state("bank", m.create(new float[] {1, 2, 3, 4}, new Shape(2, 2))).muli(10);
                weights = a.trainableParameters().get(0).getArray().toFloatArray();
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                a.write(new DataOutputStream(bytes));
                saved = bytes.toByteArray();
            }
            try (Adapters b = new Adapters(m)) {
                b.block("proj", Linear.builder().setUnits(2).build(), new Shape(1, 3));
                b.tensor("alpha", new Shape(2), 0f);
                NDArray bank = b.state("bank", m.zeros(new Shape(2, 2)));
                b.read(new DataInputStream(new ByteArrayInputStream(saved)));
                assertArrayEquals(weights, b.trainableParameters().get(0).getArray().toFloatArray());
                assertArrayEquals(new float[] {10, 20, 30, 40}, bank.toFloatArray());
                try (NDManager scope = m.newSubManager()) {
                    assertArrayEquals(new float[] {0.25f, 0.25f}, b.tensor("alpha", scope).toFloatArray());
                }
            }
            try (Adapters other = new Adapters(m)) {
                other.tensor("beta", new Shape(2), 0f);
                assertThrows(IOException.class, () -> other.read(new DataInputStream(new ByteArrayInputStream(saved))));
            }
        }
    }
}
