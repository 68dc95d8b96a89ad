package dev.casa.text.prompt.jinja;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Corners touched by the budget work, against Python Jinja2 3.1.6 in Hugging Face's configuration.
 * Each expected value was printed by:
 * <pre>
 * from jinja2.sandbox import ImmutableSandboxedEnvironment
 * env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
 * print(repr(env.from_string(template).render()))
 * </pre>
 */
class TemplateEdgeCasesTest {

    @ParameterizedTest
    @CsvSource(delimiter = '¦', quoteCharacter = '`', textBlock = """
        {{ range(100000)|length }}                                                           ¦ 100000
        {{ range(0, -200000, -2)|length }}                                                   ¦ 100000
        {{ range(5, 100005)|length }}                                                        ¦ 100000
        {{ range(10, 0, -3)|list }}                                                          ¦ [10, 7, 4, 1]
        {{ range(0, 10, 4)|list }}                                                           ¦ [0, 4, 8]
        {{ range(3, 3)|list }}                                                               ¦ []
        {{ range(-9223372036854775807, 9223372036854775807, 184467440737095517)|length }}   ¦ 100
        {{ {'a': {'b': 1}} }}                                                                ¦ {'a': {'b': 1}}
        {{ [1, [2, [3]]]}}                                                                   ¦ [1, [2, [3]]]
        {{ 1e5 }} {{ 2.5e-3 }} {{ 1_000.5 }} {{ 3e+2 }}                                      ¦ 100000.0 0.0025 1000.5 300.0
        {{ 'abc'.replace('', '-') }}/{{ 'abc'.replace('', '-', 2) }}/{{ 'abc'.replace('', '-', 0) }}/{{ ''.replace('', 'x') }} ¦ -a-b-c-/-a-bc/abc/x
        {{ 'abc'|replace('', '-') }}                                                         ¦ -a-b-c-
        {{ ['A', 'a', 'b', 'B', 1, 1.0, True]|unique|list }}                                 ¦ ['A', 'b', 1]
        {{ ['A', 'a', 'b']|unique(case_sensitive=true)|list }}                               ¦ ['A', 'a', 'b']
        {{ [{'n': 'x'}, {'n': 'X'}, {'n': 'y'}]|unique(attribute='n')|list }}                ¦ [{'n': 'x'}, {'n': 'y'}]
        {{ 'aXbXc'.count('X') }} {{ 'abc'.count('') }} {{ 'aaaa'.count('aa') }}              ¦ 2 4 2
        {{ '{} and {}'.format(1, 2) }} {{ '{1}{0}'.format('a', 'b') }} {{ '{x}!'.format(x=3) }} ¦ 1 and 2 ba 3!
        {{ '%s-%s' % (1, none) }} {{ '%s' % none }}                                          ¦ 1-None None
        {{ 'ab' * 3 }}/{{ 'ab' * 0 }}/{{ 'ab' * -2 }}/{{ 'ab' * true }}                      ¦ ababab///ab
        {{ 'x'|indent(-1, true) }}                                                           ¦ x
        {{ ''|wordcount }} {{ ' a b '|wordcount }}                                           ¦ 0 2
        {{ 1 in {'1': 2} }} {{ '1' in {'1': 2} }}                                            ¦ False True
        {{ {'a': [1, {'b': 2}]} == {'a': [1, {'b': 2}]} }} {{ {'a': 1} == {'a': 2} }} {{ [[1]] == [[1.0]] }} ¦ True False True
        {% for x in [1, 2, 3] %}{{ loop.cycle('a', 'b') }}{% endfor %}                       ¦ aba
        """)
    void rendersAsJinja2(String template, String expected) {
        assertEquals(expected, Template.parse(template).render(Map.of()));
    }

    @Test
    void tojsonWithNegativeIndentBreaksLinesWithoutSpaces() {
        assertEquals("[\n1,\n2\n]", Template.parse("{{ [1, 2]|tojson(indent=-1) }}").render(Map.of()));
        assertEquals("a\n  b", Template.parse("{{ 'a\\nb'|indent(2) }}").render(Map.of()));
    }

    @Test
    void strftimeLiteralsMayHoldPatternCharacters() {
        // DateTimeFormatter reserves [ ] # { } and letters; strftime copies them.
        assertEquals("[%] #{} it's", Template.parse("{{ strftime_now(\"[%%] #{} it's\") }}").render(Map.of()));
    }
}
