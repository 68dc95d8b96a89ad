package dev.casa.text.prompt.jinja;

/**
 * Counts the work of one render against its {@link TemplateBudget}. Not thread-safe: one per render.
 * The renderer holds it; filters, value operations and JSON output reach it through {@link #current()}
 * (a scoped value bound for the duration of the render) rather than through every signature.
 */
final class BudgetMeter {
    /** Characters a string operation may read or build per step (see {@link TemplateBudget}). */
    static final int CHARS_PER_STEP = 8;

    private static final ScopedValue<BudgetMeter> CURRENT = ScopedValue.newInstance();

    final TemplateBudget budget;
    private long steps;
    private int depth;

    BudgetMeter(TemplateBudget budget) { this.budget = budget; }

    /** The meter of the render running on this thread; a fresh default one outside a render. */
    static BudgetMeter current() {
        return CURRENT.isBound() ? CURRENT.get() : new BudgetMeter(TemplateBudget.DEFAULT);
    }

    /** Runs {@code action} with this meter as {@link #current()}. */
    <T> T run(ScopedValue.CallableOp<T, RuntimeException> action) {
        return ScopedValue.where(CURRENT, this).call(action);
    }

    /** Steps charged so far. */
    long steps() { return steps; }

    void step() {
        if (++steps > budget.maxSteps()) overSteps();
    }

    void steps(long n) {
        steps += n;
        if (steps > budget.maxSteps() || steps < 0) overSteps();
    }

    /** Charges for reading or building {@code n} characters. */
    void chars(long n) { steps(n / CHARS_PER_STEP); }

    /** Charges for what walking {@code v} costs: its characters, elements or entries. */
    void size(Object v) {
        if (v instanceof String s) chars(s.length());
        else if (v instanceof java.util.Collection<?> c) steps(c.size());
        else if (v instanceof java.util.Map<?, ?> m) steps(m.size());
    }

    private void overSteps() {
        throw new TemplateBudgetException("more than " + budget.maxSteps() + " steps", "maxSteps", budget.maxSteps());
    }

    /** Enters one nesting level (expression, statement, macro call, nested value). */
    void enter() {
        if (++depth > budget.maxDepth()) {
            depth--;
            throw new TemplateBudgetException("nesting deeper than " + budget.maxDepth() + " levels", "maxDepth",
                    budget.maxDepth());
        }
    }

    void exit() { depth--; }

    /** Refuses a string of {@code length} characters before it is built, and charges for building it. */
    void checkString(long length, String what) {
        requireLength(length, what);
        chars(length);
    }

    /** Appends {@code s} to a string being built, refusing to grow it past {@code maxStringChars}. */
    void append(StringBuilder sb, CharSequence s, String what) {
        requireLength((long) sb.length() + s.length(), what);
        chars(s.length());
        sb.append(s);
    }

    void append(StringBuilder sb, char c, String what) {
        requireLength(sb.length() + 1L, what);
        sb.append(c);
    }

    private void requireLength(long length, String what) {
        if (length > budget.maxStringChars()) {
            throw new TemplateBudgetException(what + " would make a string of " + length + " characters",
                    "maxStringChars", budget.maxStringChars());
        }
    }
}
