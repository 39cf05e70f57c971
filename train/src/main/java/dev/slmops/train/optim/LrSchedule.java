package dev.slmops.train.optim;

import java.util.Locale;

/**
 * Learning-rate schedules with linear warmup, the formulas of Hugging Face transformers'
 * {@code get_constant_schedule_with_warmup}, {@code get_linear_schedule_with_warmup} and
 * {@code get_cosine_schedule_with_warmup} (half a cosine period). The optimizer step numbered {@code step}
 * (0-based, as LambdaLR counts) runs at {@code baseLr * factor(step)}: with warmup the first step has lr 0, as in HF.
 */
public record LrSchedule(Kind kind, double baseLr, long warmupSteps, long totalSteps) {
    public enum Kind {
        CONSTANT, LINEAR, COSINE;

        /** Parses a --scheduler value (HF's lr_scheduler_type names; "constant_with_warmup" is CONSTANT). */
        public static Kind parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            return switch (n) {
                case "constant", "constant_with_warmup" -> CONSTANT;
                case "linear" -> LINEAR;
                case "cosine" -> COSINE;
                default -> throw new IllegalArgumentException("unknown scheduler '" + name
                        + "': expected constant, linear or cosine");
            };
        }
    }

    public LrSchedule {
        if (!(baseLr > 0) || !Double.isFinite(baseLr)) throw new IllegalArgumentException("learning rate must be > 0, got " + baseLr);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup steps must be >= 0, got " + warmupSteps);
        if (totalSteps < 1) throw new IllegalArgumentException("total steps must be >= 1, got " + totalSteps);
    }

    /** The multiplier of the base learning rate at optimizer step {@code step} (0-based). */
    public double factor(long step) {
        if (step < warmupSteps) return (double) step / Math.max(1, warmupSteps);
        return switch (kind) {
            case CONSTANT -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case COSINE -> {
                double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
                yield Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress)));
            }
        };
    }

    public double lr(long step) {
        return baseLr * factor(step);
    }
}
