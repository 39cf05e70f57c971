package dev.slmops.tensor.parallel;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;
import java.util.Optional;

/**
 * The JIT setting the kernels need: C2 inlining at least {@value #MAX_INLINE_LEVEL} calls deep. The Vector API's
 * call chains are deep (operator, shape class, template, intrinsic), and under a kernel that is itself inlined into
 * a worker loop they pass C2's default limit of 15: the innermost calls then stay calls, and the vector operations
 * run boxed, lane by lane (measured, Zen 5: smollm2-135m Q8_0 decode 94-108 tokens/s at the default, 138-146 with
 * -XX:MaxInlineLevel=30). The ./slmops launcher, the scripts and the test JVMs pass the flag; a JVM that embeds
 * slmops should too.
 */
public final class JitSettings {
    /** The inlining depth the launcher sets. */
    public static final int MAX_INLINE_LEVEL = 30;

    private JitSettings() {
    }

    /** What to do when this JVM inlines less deep than the kernels need; empty when it is fine (or not HotSpot). */
    public static Optional<String> warning() {
        try {
            HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (hs == null) return Optional.empty();
            int level = Integer.parseInt(hs.getVMOption("MaxInlineLevel").getValue());
            if (level >= MAX_INLINE_LEVEL) return Optional.empty();
            return Optional.of("this JVM runs with -XX:MaxInlineLevel=" + level + ": the vector kernels need "
                    + MAX_INLINE_LEVEL + " or more, or some run boxed and far slower; start slmops through its "
                    + "launcher (./slmops) or add -XX:MaxInlineLevel=" + MAX_INLINE_LEVEL + " to the java command");
        } catch (RuntimeException | LinkageError e) { // no such option or no management API: nothing to say
            return Optional.empty();
        }
    }
}
