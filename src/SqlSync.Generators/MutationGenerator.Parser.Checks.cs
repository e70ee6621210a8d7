using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using SqlSync.Generators.Diagnostics;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

public sealed partial class MutationGenerator
{
    internal static partial class Parser
    {
        /// <summary>
        /// Drops mutations whose generated names or tags clash, reporting each. Candidates are examined in
        /// name order so that the diagnostics do not depend on the order of methods or files.
        /// </summary>
        private static List<MutationSpec> RemoveDuplicates(
            List<MutationSpec> candidates, Dictionary<MutationSpec, LocationInfo?> locations, INamedTypeSymbol type,
            List<DiagnosticInfo> diagnostics)
        {
            string className = QualifiedName(type);
            List<MutationSpec> ordered = candidates
                .OrderBy(m => m.MethodName, StringComparer.Ordinal)
                .ThenBy(m => locations[m]?.FilePath ?? "", StringComparer.Ordinal)
                .ThenBy(m => locations[m]?.TextSpan.Start ?? 0)
                .ToList();
            var kept = new List<MutationSpec>();
            foreach (IGrouping<string, MutationSpec> group in ordered.GroupBy(m => m.MethodName))
            {
                List<MutationSpec> members = group.ToList();
                if (members.Count > 1)
                {
                    foreach (MutationSpec mutation in members)
                    {
                        Report(mutation, mutation.RecordName, $"another mutation named '{mutation.MethodName}' generates too");
                    }

                    continue;
                }

                MutationSpec single = members[0];
                if (type.GetMembers(single.RecordName).Any())
                {
                    Report(single, single.RecordName, $"is already a member of '{className}'");
                    continue;
                }

                string? propertyClash = FindPropertyClash(single);
                if (propertyClash is not null)
                {
                    Report(single, single.RecordName + "." + propertyClash.Split('|')[0], propertyClash.Split('|')[1]);
                    continue;
                }

                kept.Add(single);
            }

            var result = new List<MutationSpec>();
            foreach (IGrouping<uint, MutationSpec> group in kept.GroupBy(m => m.Tag))
            {
                List<MutationSpec> members = group.ToList();
                if (members.Count == 1)
                {
                    result.Add(members[0]);
                    continue;
                }

                for (int i = 0; i < members.Count; i++)
                {
                    MutationSpec other = members[(i + 1) % members.Count];
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateMutationTag, locations[members[i]],
                        className + "." + members[i].MethodName, members[i].Tag.ToString("X8", CultureInfo.InvariantCulture),
                        className + "." + other.MethodName));
                }
            }

            return result;

            void Report(MutationSpec mutation, string generated, string why) =>
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateMutationName, locations[mutation],
                    $"Mutation '{className}.{mutation.MethodName}'", generated, why));
        }

        /// <summary>Returns "Property|why" for the first record property that clashes, or null.</summary>
        private static string? FindPropertyClash(MutationSpec mutation)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (ParameterSpec parameter in mutation.Parameters)
            {
                if (ReservedRecordMembers.Contains(parameter.PropertyName))
                {
                    return parameter.PropertyName + "|is a member every mutation record has";
                }

                if (parameter.PropertyName == mutation.RecordName)
                {
                    return parameter.PropertyName + "|is the record's own name";
                }

                if (!seen.Add(parameter.PropertyName))
                {
                    return parameter.PropertyName + "|another parameter generates too";
                }
            }

            return null;
        }

        /// <summary>The accessibility a type has from outside, given its containers and type arguments.</summary>
        private static Accessibility EffectiveAccessibility(ITypeSymbol type)
        {
            switch (type)
            {
                case IArrayTypeSymbol array:
                    return EffectiveAccessibility(array.ElementType);
                case INamedTypeSymbol named:
                    Accessibility result = Accessibility.Public;
                    for (INamedTypeSymbol? current = named; current is not null; current = current.ContainingType)
                    {
                        result = Narrower(result, current.DeclaredAccessibility);
                    }

                    foreach (ITypeSymbol argument in named.TypeArguments)
                    {
                        result = Narrower(result, EffectiveAccessibility(argument));
                    }

                    return result;
                default:
                    return Accessibility.Public;
            }
        }

        private static Accessibility Narrower(Accessibility left, Accessibility right) => Rank(left) <= Rank(right) ? left : right;

        private static bool IsInternal(Accessibility accessibility) => Rank(accessibility) == 2;

        private static int Rank(Accessibility accessibility) => accessibility switch
        {
            Accessibility.Public or Accessibility.NotApplicable => 3,
            Accessibility.Internal or Accessibility.ProtectedOrInternal => 2,
            Accessibility.Protected or Accessibility.ProtectedAndInternal => 1,
            _ => 0,
        };
    }
}
