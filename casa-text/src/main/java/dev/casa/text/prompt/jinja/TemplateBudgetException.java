package dev.casa.text.prompt.jinja;

/** A render or parse that went over one limit of its {@link TemplateBudget}; names the limit and its value. */
public final class TemplateBudgetException extends TemplateException {
    private final String limit;
    private final long value;

    TemplateBudgetException(String what, String limit, long value) {
        super("chat template over budget: " + what + " (TemplateBudget." + limit + " = " + value + ")");
        this.limit = limit;
        this.value = value;
    }

    /** The name of the exceeded {@link TemplateBudget} component, e.g. {@code "maxSteps"}. */
    public String limit() { return limit; }

    /** The value of that limit. */
    public long value() { return value; }
}
