package dev.slmops.train.loop;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.train.Example;
import dev.slmops.train.Loss;
import dev.slmops.train.checkpoint.CheckpointStore;
import dev.slmops.train.optim.LrSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The loop on a model with known gradients: it learns, accumulates exactly, resumes bit for bit, stops early. */
class TrainerTest {
    static final int V = 12;
    static final List<Example> TRAIN = BigramModel.chain(V, 40, 17, 5, 3, 1);
    static final List<Example> EVAL = BigramModel.chain(V, 8, 17, 5, 3, 2);

    static TrainingConfig config() {
        TrainingConfig c = new TrainingConfig();
        c.lr = 0.1;
        c.batchSize = 4;
        c.gradAccum = 2;
        c.epochs = 3;
        c.scheduler = LrSchedule.Kind.COSINE;
        c.warmupSteps = 2;
        c.weightDecay = 0.01;
        c.evalSteps = 5;
        c.saveSteps = 5;
        c.seed = 7;
        return c;
    }

    @Test
    void learnsTheChainAndWritesMetricsCurveCheckpointsAndBestModel(@TempDir Path out) throws Exception {
        BigramModel model = new BigramModel(V, 1, 0);
        TrainingConfig c = config();
        c.lr = 0.3;
        Trainer trainer = new Trainer(model, TRAIN, EVAL, c, out);
        double before = trainer.evaluate().mean();
        TrainingResult r = trainer.run(null);
        double after = trainer.evaluate().mean();
        System.out.printf("bigram chain: eval loss %.3f -> %.3f (uniform %.3f) in %d steps%n", before, after, Math.log(V), r.steps());
        assertThat(r.steps()).isEqualTo(3 * DataOrder.stepsPerEpoch(40, 4, 2)).isEqualTo(15);
        assertThat(after).isLessThan(before * 0.5);
        assertThat(r.bestEvalLoss()).isEqualTo(after); // best loaded at end; here also the last
        List<JsonNode> records = MetricsLog.read(out.resolve(Trainer.METRICS_FILE));
        assertThat(records.stream().filter(j -> j.has("loss")).count()).isEqualTo(15);
        assertThat(records.stream().filter(j -> j.has("eval_loss")).map(j -> j.get("step").asInt()).toList()).containsExactly(5, 10, 15);
        assertThat(records.getFirst().get("lr").asDouble()).isZero(); // warmup starts at 0 as in HF
        assertThat(records.getFirst().get("tokens").asLong()).isEqualTo(8 * 17);
        // the SVG is well-formed XML with a polyline of the training loss
        var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(out.resolve(Trainer.LOSS_CURVE_FILE).toFile());
        assertThat(doc.getElementsByTagName("polyline").getLength()).isEqualTo(1);
        assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(3);
        // save_total_limit 2: checkpoint-10 and checkpoint-15 remain
        assertThat(CheckpointStore.list(out).stream().map(p -> p.getFileName().toString()).toList())
                .containsExactly("checkpoint-10", "checkpoint-15");
        assertThat(Files.isDirectory(out.resolve(Trainer.BEST_MODEL_DIR))).isTrue();
    }

    @Test
    void resumingFromACheckpointAfterACrashEqualsAnUninterruptedRunBitForBit(@TempDir Path tmp) throws Exception {
        TrainingConfig c = config();
        c.epochs = 4; // 20 steps, crosses epoch boundaries on both sides of the crash
        BigramModel straight = new BigramModel(V, 1, 0.2);
        new Trainer(straight, TRAIN, EVAL, c, tmp.resolve("a")).run(null);

        BigramModel crashed = new BigramModel(V, 1, 0.2);
        Trainer first = new Trainer(crashed, TRAIN, EVAL, c, tmp.resolve("b")).listener(new Trainer.Listener() {
            @Override
            public void afterStep(long step, double loss) {
                if (step == 13) throw new IllegalStateException("simulated crash");
            }
        });
        assertThatThrownBy(() -> first.run(null)).hasMessage("simulated crash");
        Path ckpt = CheckpointStore.latest(tmp.resolve("b")).orElseThrow();
        assertThat(ckpt.getFileName().toString()).isEqualTo("checkpoint-10");

        BigramModel resumed = new BigramModel(V, 99, 0.2); // other init and dropout seed: all must come from the checkpoint
        TrainingResult r = new Trainer(resumed, TRAIN, EVAL, c, tmp.resolve("b")).run(ckpt);
        assertThat(r.steps()).isEqualTo(20);
        assertThat(resumed.parameters().values()).isEqualTo(straight.parameters().values());
        // the metrics file reads as one run: steps 1..20 once each
        assertThat(MetricsLog.read(tmp.resolve("b").resolve(Trainer.METRICS_FILE)).stream().filter(j -> j.has("loss"))
                .map(j -> j.get("step").asInt()).toList()).isEqualTo(java.util.stream.IntStream.rangeClosed(1, 20).boxed().toList());
    }

    @Test
    void aRequestedStopSavesACheckpointThatResumesBitForBit(@TempDir Path tmp) throws Exception {
        TrainingConfig c = config();
        c.saveSteps = 0; // no periodic checkpoints: the stop must write its own
        BigramModel straight = new BigramModel(V, 1, 0.2);
        new Trainer(straight, TRAIN, EVAL, c, tmp.resolve("a")).run(null);

        BigramModel stopped = new BigramModel(V, 1, 0.2);
        Trainer[] first = new Trainer[1];
        first[0] = new Trainer(stopped, TRAIN, EVAL, c, tmp.resolve("b")).listener(new Trainer.Listener() {
            @Override
            public void afterStep(long step, double loss) {
                if (step == 7) first[0].requestStop(); // as the Ctrl-C hook does, from any thread
            }
        });
        TrainingResult r1 = first[0].run(null);
        assertThat(r1.interrupted()).isTrue();
        assertThat(r1.steps()).isEqualTo(7);
        assertThat(r1.lastCheckpoint().getFileName().toString()).isEqualTo("checkpoint-7");

        BigramModel resumed = new BigramModel(V, 5, 0.2);
        TrainingResult r2 = new Trainer(resumed, TRAIN, EVAL, c, tmp.resolve("b")).run(r1.lastCheckpoint());
        assertThat(r2.interrupted()).isFalse();
        assertThat(resumed.parameters().values()).isEqualTo(straight.parameters().values());
    }

    @Test
    void resumingFromAnOlderCheckpointDropsABestModelFromTheAbandonedSteps(@TempDir Path out) throws Exception {
        TrainingConfig c = config();
        c.saveTotalLimit = 0; // keep all: checkpoint-5, -10, -15
        new Trainer(new BigramModel(V, 1, 0), TRAIN, EVAL, c, out).run(null);
        assertThat(CheckpointStore.readState(out.resolve(Trainer.BEST_MODEL_DIR)).globalStep()).isEqualTo(15);
        Path older = out.resolve("checkpoint-5");
        BigramModel m = new BigramModel(V, 1, 0);
        TrainingResult r = new Trainer(m, TRAIN, EVAL, c, out).run(older);
        // the best is re-tracked from step 5 on; what is loaded at the end is this run's own snapshot
        assertThat(CheckpointStore.readState(out.resolve(Trainer.BEST_MODEL_DIR)).globalStep()).isEqualTo(r.bestStep());
        assertThat(r.bestStep()).isGreaterThan(5);
    }

    @Test
    void accumulationOverMicroBatchesEqualsOneLargeBatch(@TempDir Path tmp) throws Exception {
        float[][] finals = new float[3][];
        int[][] shapes = {{8, 1}, {4, 2}, {1, 8}};
        for (int k = 0; k < 3; k++) {
            TrainingConfig c = config();
            c.batchSize = shapes[k][0];
            c.gradAccum = shapes[k][1];
            c.evalSteps = 0;
            BigramModel m = new BigramModel(V, 1, 0);
            new Trainer(m, TRAIN, List.of(), c, tmp.resolve("run" + k)).run(null);
            finals[k] = m.parameters().values();
        }
        for (int k = 1; k < 3; k++) {
            for (int i = 0; i < finals[0].length; i++) {
                assertThat(finals[k][i]).as("run %d value %d", k, i).isCloseTo(finals[0][i], org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }

    @Test
    void earlyStoppingEndsTheRunAndTheBestModelIsRestored(@TempDir Path out) throws Exception {
        TrainingConfig c = config();
        c.epochs = 20;
        c.evalSteps = 2;
        c.earlyStoppingPatience = 2;
        c.lr = 0.5;
        // validation data from another chain: fitting the training chain makes it worse after a few steps
        List<Example> otherChain = BigramModel.chain(V, 8, 17, 7, 1, 3);
        BigramModel m = new BigramModel(V, 1, 0);
        float[][] atBest = new float[1][];
        Trainer t = new Trainer(m, TRAIN, otherChain, c, out).listener(new Trainer.Listener() {
            double best = Double.POSITIVE_INFINITY;

            @Override
            public void afterEvaluation(long step, Loss loss) {
                if (loss.mean() < best) {
                    best = loss.mean();
                    atBest[0] = m.parameters().values().clone();
                }
            }
        });
        TrainingResult r = t.run(null);
        assertThat(r.stoppedEarly()).isTrue();
        assertThat(r.steps()).isLessThan(t.totalSteps()).isEqualTo(r.bestStep() + 2L * c.evalSteps);
        assertThat(m.parameters().values()).isEqualTo(atBest[0]);
        assertThat(t.evaluate().mean()).isEqualTo(r.bestEvalLoss());
    }

    @Test
    void resumingWithOtherDataOrAnotherModelIsRefusedClearly(@TempDir Path out) throws Exception {
        TrainingConfig c = config();
        c.maxSteps = 5;
        new Trainer(new BigramModel(V, 1, 0), TRAIN, EVAL, c, out).run(null);
        Path ckpt = CheckpointStore.latest(out).orElseThrow();
        assertThatThrownBy(() -> new Trainer(new BigramModel(V, 1, 0), TRAIN.subList(0, 30), EVAL, c, out).run(ckpt))
                .hasMessageContaining("other training data");
        assertThatThrownBy(() -> new Trainer(new BigramModel(V + 1, 1, 0), TRAIN, EVAL, c, out).run(ckpt))
                .hasMessageContaining("another model or method");
        assertThatThrownBy(() -> new Trainer(new BigramModel(V, 1, 0), TRAIN, EVAL, c, out).run(out.resolve(Trainer.BEST_MODEL_DIR)))
                .hasMessageContaining("best-model snapshot");
    }

    @Test
    void aNonFiniteLossStopsWithAClearErrorBeforeTheParametersChange(@TempDir Path out) {
        BigramModel inner = new BigramModel(V, 1, 0);
        float[] before = inner.parameters().values().clone();
        dev.slmops.train.Trainable exploding = new dev.slmops.train.Trainable() {
            public dev.slmops.train.Parameters parameters() {
                return inner.parameters();
            }

            public Loss forwardBackward(List<Example> batch) {
                inner.parameters().grads()[0] = Float.NaN;
                return inner.forwardBackward(batch);
            }

            public Loss evaluate(List<Example> batch) {
                return inner.evaluate(batch);
            }
        };
        assertThatThrownBy(() -> new Trainer(exploding, TRAIN, EVAL, config(), out).run(null))
                .hasMessageContaining("step 1: the loss or the gradients are not finite").hasMessageContaining("Lower --lr");
        assertThat(inner.parameters().values()).isEqualTo(before);
    }

    @Test
    void everyBadSettingNamesItsFlag() {
        TrainingConfig c = new TrainingConfig();
        c.gradAccum = 0;
        assertThatThrownBy(c::validate).hasMessage("--grad-accum must be >= 1, got 0");
        TrainingConfig d = new TrainingConfig();
        d.warmupRatio = 1.5;
        assertThatThrownBy(d::validate).hasMessageContaining("--warmup");
    }
}
