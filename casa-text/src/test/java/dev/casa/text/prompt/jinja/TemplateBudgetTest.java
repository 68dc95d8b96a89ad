package dev.casa.text.prompt.jinja;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The hostile templates of issue 13, each of which ran without limit or died with StackOverflowError /
 * OutOfMemoryError, now stop with a TemplateBudgetException naming the limit and its value.
 */
class TemplateBudgetTest {

    private static TemplateBudgetException overBudget(String template, Map<String, ?> vars) {
        return assertThrows(TemplateBudgetException.class, () -> Template.parse(template).render(vars));
    }

    /** Runs on a thread with the JVM's default 1 MiB stack, so a deep recursion would overflow there. */
    private static Throwable onDefaultStack(Runnable action) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                action.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "template", 1 << 20);
        t.start();
        t.join();
        return thrown.get();
    }

    @Test
    void nestedMillionRangesAreRefusedAsJinja2SandboxDoes() {
        TemplateBudgetException e = overBudget(
                "{% for i in range(1000000) %}{% for j in range(1000000) %}{{ j }}{% endfor %}{% endfor %}", Map.of());
        assertEquals("maxRange", e.limit());
        assertEquals(100_000, e.value());
        assertEquals("chat template over budget: range() of 1000000 items (TemplateBudget.maxRange = 100000)", e.getMessage());
        // One more than the sandbox's MAX_RANGE is refused; MAX_RANGE itself is fine (see TemplateEdgeCasesTest).
        assertEquals("maxRange", overBudget("{{ range(100001)|length }}", Map.of()).limit());
    }

    @Test
    void nestedLoopsWithinTheRangeLimitStopAtTheStepBudget() {
        TemplateBudgetException e = overBudget(
                "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", Map.of());
        assertEquals("maxSteps", e.limit());
        assertEquals("chat template over budget: more than 10000000 steps (TemplateBudget.maxSteps = 10000000)", e.getMessage());
    }

    @Test
    void endlessMacroRecursionStopsAtTheDepthBudgetNotTheStack() throws InterruptedException {
        Throwable t = onDefaultStack(() -> Template.parse("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}").render(Map.of()));
        TemplateBudgetException e = assertInstanceOf(TemplateBudgetException.class, t);
        assertEquals("chat template over budget: nesting deeper than 200 levels (TemplateBudget.maxDepth = 200)", e.getMessage());
        // Bounded recursion, as templates use it for nested JSON schemas, renders.
        assertEquals("x".repeat(61), Template.parse(
                "{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{% endif %}x{% endmacro %}{{ f(60) }}").render(Map.of()));
    }

    @Test
    void thousandNestedParenthesesStopAtTheDepthBudgetWhileParsing() throws InterruptedException {
        String deep = "{{ " + "(".repeat(1000) + "1" + ")".repeat(1000) + " }}";
        TemplateBudgetException e = assertInstanceOf(TemplateBudgetException.class, onDefaultStack(() -> Template.parse(deep)));
        assertEquals("maxDepth", e.limit());
        assertTrue(e.getMessage().startsWith("chat template over budget: template line 1: nesting deeper than 200 levels"), e.getMessage());
        for (String other : List.of("{{ " + "[".repeat(1000) + "]".repeat(1000) + " }}", "{{ " + "not ".repeat(5000) + "1 }}",
                "{{ " + "-".repeat(5000) + "1 }}", "{% if 1 %}".repeat(1000) + "{% endif %}".repeat(1000))) {
            assertInstanceOf(TemplateBudgetException.class, onDefaultStack(() -> Template.parse(other)), other.substring(0, 20));
        }
        assertEquals("1", Template.parse("{{ " + "(".repeat(150) + "1" + ")".repeat(150) + " }}").render(Map.of()));
    }

    @Test
    void longChainsNestAtRenderTime() throws InterruptedException {
        // Parsed by loops, not recursion, but evaluated recursively: the renderer's depth count stops them.
        for (String chain : List.of("{{ 1" + " + 1".repeat(5000) + " }}", "{{ x" + ".a".repeat(5000) + " }}",
                "{{ x" + "|string".repeat(5000) + " }}")) {
            Throwable t = onDefaultStack(() -> Template.parse(chain).render(Map.of("x", "s")));
            assertEquals("maxDepth", assertInstanceOf(TemplateBudgetException.class, t).limit());
        }
    }

    @Test
    void deeplyNestedValuesStopAtTheDepthBudget() throws InterruptedException {
        Object nested = "leaf";
        for (int i = 0; i < 100_000; i++) nested = List.of(nested);
        Object input = nested;
        Throwable t = onDefaultStack(() -> Template.parse("{{ x|length }}").render(Map.of("x", input)));
        assertEquals("maxDepth", assertInstanceOf(TemplateBudgetException.class, t).limit());

        // Built by the template itself, then printed, serialized, compared.
        String build = "{% set ns = namespace(l=[]) %}{% for i in range(10000) %}{% set ns.l = [ns.l] %}{% endfor %}";
        for (String use : List.of("{{ ns.l }}", "{{ ns.l|tojson }}", "{{ ns.l == [ns.l[0]] }}", "{{ [ns.l]|unique|list }}")) {
            Throwable u = onDefaultStack(() -> Template.parse(build + use).render(Map.of()));
            assertEquals("maxDepth", assertInstanceOf(TemplateBudgetException.class, u).limit(), use);
        }
    }

    @Test
    void aStringDoubledInALoopStopsAtTheStringBudget() {
        TemplateBudgetException e = overBudget(
                "{% set ns = namespace(s='ab') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", Map.of());
        assertEquals("chat template over budget: concatenation would make a string of 16777216 characters"
                + " (TemplateBudget.maxStringChars = 8388608)", e.getMessage());
    }

    @Test
    void stringsThatWouldBeHugeAreRefusedBeforeTheyAreBuilt() {
        // 'a' * 2^63-1 used to be cut to an int by the repetition; 2^32 + 1 repeated the string once.
        assertEquals("maxStringChars", overBudget("{{ 'a' * 9223372036854775807 }}", Map.of()).limit());
        assertEquals("maxStringChars", overBudget("{{ 'ab' * 4294967297 }}", Map.of()).limit());
        assertEquals("maxStringChars", overBudget("{{ 'x'|indent(2000000000, true) }}", Map.of()).limit());
        assertEquals("maxStringChars", overBudget("{{ [[[1]]]|tojson(indent=1000000000) }}", Map.of()).limit());
        assertEquals("maxStringChars", overBudget("{{ ('a' * 10000)|replace('a', 'a' * 10000) }}", Map.of()).limit());
        assertEquals("maxStringChars", overBudget("{{ ('a' * 10000).replace('', 'b' * 1000) }}", Map.of()).limit());
        assertEquals("maxStringChars", overBudget("{{ range(100)|map('string')|join('x' * 100000) }}", Map.of()).limit());
    }

    @Test
    void outputStopsAtTheOutputBudget() {
        TemplateBudgetException e = overBudget("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", Map.of());
        assertEquals("chat template over budget: output of more than 8388608 characters (TemplateBudget.maxOutputChars = 8388608)",
                e.getMessage());
    }

    @Test
    void theBudgetIsConfigurable() {
        String chat = "{% for m in messages %}<|{{ m.role }}|>{{ m.content | trim }}\n{% endfor %}";
        List<Object> messages = new ArrayList<>();
        for (int i = 0; i < 50; i++) messages.add(Map.of("role", "user", "content", " hello " + i));
        Map<String, Object> vars = Map.of("messages", messages);
        assertEquals("<|user|>hello 0\n", Template.parse(chat).render(vars).substring(0, 16));
        TemplateBudget tight = TemplateBudget.DEFAULT.withMaxSteps(100);
        TemplateBudgetException e = assertThrows(TemplateBudgetException.class, () -> Template.parse(chat, tight).render(vars));
        assertEquals("chat template over budget: more than 100 steps (TemplateBudget.maxSteps = 100)", e.getMessage());
        assertEquals(tight, Template.parse(chat, tight).budget());
        assertEquals("maxRange", assertThrows(TemplateBudgetException.class,
                () -> Template.parse("{{ range(11)|list }}", TemplateBudget.DEFAULT.withMaxRange(10)).render(Map.of())).limit());
        assertEquals("maxOutputChars", assertThrows(TemplateBudgetException.class,
                () -> Template.parse(chat, TemplateBudget.DEFAULT.withMaxOutputChars(100)).render(vars)).limit());
        assertEquals("maxDepth", assertThrows(TemplateBudgetException.class,
                () -> Template.parse("{{ ((((1)))) }}", TemplateBudget.DEFAULT.withMaxDepth(3))).limit());
        assertEquals("maxStringChars", assertThrows(TemplateBudgetException.class,
                () -> Template.parse("{{ 'ab' ~ 'cd' }}", TemplateBudget.DEFAULT.withMaxStringChars(3)).render(Map.of())).limit());
        assertThrows(IllegalArgumentException.class, () -> TemplateBudget.DEFAULT.withMaxSteps(0));
    }

    @Test
    void realTemplatesUseAFractionOfTheDefaultBudget() {
        // A 200-message conversation of 200,000 characters takes about 1% of the default budget.
        String chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
                + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        List<Object> messages = new ArrayList<>();
        for (int i = 0; i < 200; i++) messages.add(Map.of("role", i % 2 == 0 ? "user" : "assistant", "content", "word ".repeat(200)));
        BudgetMeter meter = new BudgetMeter(TemplateBudget.DEFAULT);
        Template.parse(chatml).render(Map.of("messages", messages, "add_generation_prompt", true), meter);
        assertTrue(meter.steps() < TemplateBudget.DEFAULT.maxSteps() / 50, "steps " + meter.steps());
    }
}
