using IclNotebook.Generation;

namespace IclNotebook.Tests.Generation;

public class GeneratedAnswerTests
{
    [Theory]
    [InlineData(" Kabul", " Kabul", true)]
    [InlineData(" Kabul\nQ: Iran", " Kabul", true)]          // the first line only
    [InlineData(" Kabul, the capital", " Kabul", true)]      // goes on after the answer
    [InlineData(" red red red", " red", true)]
    [InlineData(" Kabul.", " Kabul", true)]
    [InlineData(" Kabuli", " Kabul", false)]                 // only starts like it
    [InlineData(" 1.5", " 1", false)]                        // punctuation inside a longer word
    [InlineData(" 3,000", " 3", false)]
    [InlineData(" New-York", " New", false)]
    [InlineData(" kabul", " Kabul", false)]                  // case counts
    [InlineData("\n Kabul", " Kabul", false)]                // an empty first line
    [InlineData(" Kab", " Kabul", false)]
    [InlineData(null, " Kabul", false)]
    [InlineData(" anything", "  ", false)]                   // an empty answer never matches
    public void The_first_line_must_begin_with_the_whole_answer(string? generated, string expected, bool match) =>
        Assert.Equal(match, GeneratedAnswer.Matches(generated, expected));
}
