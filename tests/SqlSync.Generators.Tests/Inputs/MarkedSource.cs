using Microsoft.CodeAnalysis.Text;

namespace SqlSync.Generators.Tests.Inputs;

/// <summary>Source text with <c>[|…|]</c> markers around the spans where diagnostics are expected.</summary>
internal static class MarkedSource
{
    public static (string Text, IReadOnlyList<TextSpan> Spans) Strip(string marked)
    {
        var spans = new List<TextSpan>();
        var text = new System.Text.StringBuilder();
        int i = 0;
        int start = -1;
        while (i < marked.Length)
        {
            if (string.CompareOrdinal(marked, i, "[|", 0, 2) == 0)
            {
                start = text.Length;
                i += 2;
            }
            else if (string.CompareOrdinal(marked, i, "|]", 0, 2) == 0)
            {
                spans.Add(TextSpan.FromBounds(start, text.Length));
                i += 2;
            }
            else
            {
                text.Append(marked[i++]);
            }
        }

        return (text.ToString(), spans);
    }
}
