package dev.casa.text.prompt.jinja;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad templates fail with a TemplateException that says what is wrong, never another exception. */
class TemplateErrorsTest {

    private static String messageOf(String template, Map<String, Object> vars) {
        return assertThrows(TemplateException.class, () -> Template.parse(template).render(vars)).getMessage();
    }

    @Test
    void syntaxErrorsNameTheProblem() {
        assertTrue(messageOf("{% if x %}unclosed", Map.of()).contains("endif"));
        assertTrue(messageOf("{{ 'abc }}", Map.of()).contains("unterminated string"));
        assertTrue(messageOf("{% include 'x' %}", Map.of()).contains("unsupported template statement 'include'"));
        assertTrue(messageOf("{{ x | frobnicate }}", Map.of("x", 1)).contains("unsupported filter 'frobnicate'"));
        assertTrue(messageOf("{{ x ", Map.of()).contains("unclosed tag"));
    }

    @Test
    void sandboxForbidsMutatingLists() {
        assertTrue(messageOf("{{ xs.append(1) }}", Map.of("xs", List.of())).contains("immutable"));
        assertTrue(messageOf("{% set xs.a = 1 %}", Map.of("xs", List.of())).contains("namespace"));
    }

    @Test
    void undefinedUseIsAnError() {
        assertTrue(messageOf("{{ missing.attr }}", Map.of()).contains("'missing' is undefined"));
        assertEquals("", Template.parse("{{ missing }}").render(Map.of()));
    }

    @Test
    void raiseExceptionCarriesTheMessage() {
        assertEquals("no system role", messageOf("{{ raise_exception('no system role') }}", Map.of()));
    }
}
