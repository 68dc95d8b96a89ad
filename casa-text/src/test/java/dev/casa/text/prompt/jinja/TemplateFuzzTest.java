package dev.casa.text.prompt.jinja;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the template engine with random templates from a grammar ({@link RandomTemplates}):
 * whatever the template, parsing and rendering end normally or with a {@link TemplateException} raised
 * by the engine itself, within the case's budget. No StackOverflowError, OutOfMemoryError or other
 * exception, and no engine defect caught by the safety net in {@link Template#render}.
 */
class TemplateFuzzTest {
    private static final long SEED = 0x5EEDCA5AL;
    private static final int CASES = 5000;
    /** Small enough that every case is quick; deep enough to reach each limit. */
    private static final TemplateBudget BUDGET = new TemplateBudget(50_000, 50_000, 20_000, 200, 100_000);

    @Test
    void onlyTemplateExceptionsEscapeAndEveryCaseStaysInItsBudget() {
        RandomTemplates gen = new RandomTemplates(SEED);
        int[] rendered = {0}, refused = {0}, overBudget = {0};
        // Only a guard against a hang; the bound on each case is the engine's step count, asserted below.
        assertTimeoutPreemptively(Duration.ofMinutes(10), () -> {
            for (int i = 0; i < CASES; i++) {
                String src = gen.next();
                Map<String, Object> vars = gen.variables();
                BudgetMeter meter = new BudgetMeter(BUDGET);
                try {
                    Template.parse(src, BUDGET).render(vars, meter);
                    rendered[0]++;
                    assertTrue(meter.steps() <= BUDGET.maxSteps(), "case " + i + " ran past its budget");
                } catch (TemplateBudgetException e) {
                    overBudget[0]++;
                } catch (TemplateException e) {
                    refused[0]++;
                    if (e.getCause() != null) fail("case " + i + ": engine defect " + e.getCause() + "\n" + src, e.getCause());
                } catch (Throwable t) {
                    fail("case " + i + ": " + t + "\n" + src, t);
                }
            }
        });
        // The grammar reaches all three outcomes, so the assertions above were exercised.
        assertTrue(rendered[0] > CASES / 10, "rendered " + rendered[0]);
        assertTrue(refused[0] > CASES / 10, "refused " + refused[0]);
        assertTrue(overBudget[0] > CASES / 50, "over budget " + overBudget[0]);
    }
}
