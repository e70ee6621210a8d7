using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using SqlSync.Generators.Diagnostics;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

public sealed partial class MutationGenerator
{
    /// <summary>
    /// Reads a shipped-mutations file (<c>ClassName.Shipped.txt</c>, an AdditionalFiles item). Each line is
    /// <c>0xTAG Name Shape | C# parameters</c>; blank lines and lines starting with '#' are comments.
    /// </summary>
    internal static class ShippedFileReader
    {
        public const string Suffix = ".Shipped.txt";

        public static bool IsShippedFile(string path) => path.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase);

        public static ShippedFile Read(AdditionalText file, CancellationToken cancellationToken)
        {
            SourceText? text = file.GetText(cancellationToken);
            string fileName = System.IO.Path.GetFileName(file.Path);
            string className = fileName.Substring(0, fileName.Length - Suffix.Length);
            var mutations = new List<ShippedMutation>();
            var errors = new List<DiagnosticInfo>();
            if (text is not null)
            {
                foreach (TextLine line in text.Lines)
                {
                    string content = line.ToString().Trim();
                    if (content.Length == 0 || content[0] == '#')
                    {
                        continue;
                    }

                    var location = new LocationInfo(file.Path, line.Span, text.Lines.GetLinePositionSpan(line.Span));
                    ShippedMutation? mutation = ParseLine(content, location);
                    if (mutation is null)
                    {
                        errors.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MalformedShippedFile, location, fileName, (line.LineNumber + 1).ToString(CultureInfo.InvariantCulture), content));
                    }
                    else
                    {
                        mutations.Add(mutation);
                    }
                }
            }

            return new ShippedFile(file.Path, className, System.IO.Path.GetDirectoryName(file.Path) ?? "",
                new EquatableArray<ShippedMutation>(mutations), new EquatableArray<DiagnosticInfo>(errors));
        }

        /// <summary>Reads <c>0xTAG Name Shape | parameters</c>, or null when the line does not have that form.</summary>
        internal static ShippedMutation? ParseLine(string content, LocationInfo location)
        {
            int bar = content.IndexOf('|');
            string head = (bar < 0 ? content : content.Substring(0, bar)).Trim();
            string parameters = bar < 0 ? "" : content.Substring(bar + 1).Trim();
            string[] parts = head.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            if (bar < 0 || parts.Length != 3
                || !parts[0].StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                || !uint.TryParse(parts[0].Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint tag)
                || tag == 0
                || !SyntaxFacts.IsValidIdentifier(parts[1])
                || !parts[2].StartsWith("(", StringComparison.Ordinal) || !parts[2].EndsWith(")", StringComparison.Ordinal))
            {
                return null;
            }

            return new ShippedMutation(tag, parts[1], parts[2], parameters, location);
        }

        /// <summary>The line that records <paramref name="mutation"/> as shipped.</summary>
        public static string Line(ContractMutationSpec mutation) =>
            $"0x{mutation.Tag:X8} {mutation.Name} {mutation.Shape} | {mutation.Parameters}".TrimEnd();
    }
}
