package dev.casa.text.prompt.jinja;

/**
 * Limits on the work one render may do, so that a hostile or broken chat template fails with a
 * {@link TemplateBudgetException} instead of running for minutes, exhausting the heap or the stack.
 * The defaults are far above what real chat templates need and far below what hurts a server:
 * <ul>
 *   <li>{@code maxSteps} 10,000,000: units of work. One step is one statement, expression, loop
 *       iteration or macro call, plus one per list element or dict entry an operation walks or copies
 *       and one per {@value BudgetMeter#CHARS_PER_STEP} characters a string operation reads or builds.
 *       A 200-message conversation of 200,000 characters takes about 1% of it; 10 million steps take
 *       0.5 to 2 seconds. Because building text costs steps, they also bound what a render can
 *       allocate: at most 80 million characters over the whole render.</li>
 *   <li>{@code maxOutputChars} 8 Mi (8,388,608) characters of rendered text, about two million tokens,
 *       more than any context window this library runs.</li>
 *   <li>{@code maxStringChars} 8 Mi characters for any one string the template builds (concatenation,
 *       repetition, {@code join}, {@code replace}, {@code tojson}, a captured {@code set} block or macro).</li>
 *   <li>{@code maxDepth} 200 nesting levels, while parsing and while rendering: each nested
 *       sub-expression, block statement ({@code if}, {@code for}, ...), macro call or nested list/dict
 *       counts one. Python Jinja2 itself stops at about 70 nested parentheses (its recursion limit).
 *       200 levels use at most half of the JVM's default 1 MiB thread stack; raise it only for
 *       threads with a larger stack.</li>
 *   <li>{@code maxRange} 100,000 items from one {@code range()}, as Jinja2's sandbox
 *       ({@code jinja2.sandbox.MAX_RANGE}), which Hugging Face's {@code ImmutableSandboxedEnvironment} uses.</li>
 * </ul>
 */
public record TemplateBudget(long maxSteps, int maxOutputChars, int maxStringChars, int maxDepth, int maxRange) {
    public static final TemplateBudget DEFAULT = new TemplateBudget(10_000_000L, 8 << 20, 8 << 20, 200, 100_000);

    public TemplateBudget {
        if (maxSteps < 1 || maxOutputChars < 1 || maxStringChars < 1 || maxDepth < 1 || maxRange < 0) {
            throw new IllegalArgumentException("template budget limits must be positive: " + this);
        }
    }

    public TemplateBudget withMaxSteps(long v) { return new TemplateBudget(v, maxOutputChars, maxStringChars, maxDepth, maxRange); }

    public TemplateBudget withMaxOutputChars(int v) { return new TemplateBudget(maxSteps, v, maxStringChars, maxDepth, maxRange); }

    public TemplateBudget withMaxStringChars(int v) { return new TemplateBudget(maxSteps, maxOutputChars, v, maxDepth, maxRange); }

    public TemplateBudget withMaxDepth(int v) { return new TemplateBudget(maxSteps, maxOutputChars, maxStringChars, v, maxRange); }

    public TemplateBudget withMaxRange(int v) { return new TemplateBudget(maxSteps, maxOutputChars, maxStringChars, maxDepth, v); }
}
