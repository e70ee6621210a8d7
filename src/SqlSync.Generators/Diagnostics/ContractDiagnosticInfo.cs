using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Diagnostics;

/// <summary>
/// A shipped-contract diagnostic as plain data, with the properties its code fix reads
/// (<see cref="ContractProperties"/>), as "key=value" pairs so that it stays equatable.
/// </summary>
internal sealed record ContractDiagnosticInfo(DiagnosticInfo Info, EquatableArray<string> Properties)
{
    public static ContractDiagnosticInfo Create(DiagnosticInfo info, params string[] keyValues)
    {
        var pairs = new string[keyValues.Length / 2];
        for (int i = 0; i < pairs.Length; i++)
        {
            pairs[i] = keyValues[2 * i] + "=" + keyValues[2 * i + 1];
        }

        return new ContractDiagnosticInfo(info, new EquatableArray<string>(pairs));
    }

    public Diagnostic ToDiagnostic()
    {
        ImmutableDictionary<string, string?> properties = Properties.ToImmutableDictionary(
            p => p.Substring(0, p.IndexOf('=')), p => (string?)p.Substring(p.IndexOf('=') + 1));
        return Diagnostic.Create(Info.Descriptor, Info.Location?.ToLocation(), properties, Info.MessageArgs.Cast<object>().ToArray());
    }
}
