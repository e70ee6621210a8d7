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
        /// <summary>The <c>MinimumClientSchemaVersion</c> named argument of the class's <c>[MutationSet]</c>, or 0.</summary>
        private static int MinimumClientSchemaVersionOf(INamedTypeSymbol type)
        {
            AttributeData? attribute = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == MutationSetAttributeName);
            foreach (KeyValuePair<string, TypedConstant> argument in attribute?.NamedArguments ?? Enumerable.Empty<KeyValuePair<string, TypedConstant>>())
            {
                if (argument.Key == "MinimumClientSchemaVersion" && argument.Value.Value is int version)
                {
                    return version;
                }
            }

            return 0;
        }

        /// <summary>The class's <c>[Migration(n)]</c> methods, checked and sorted by version; invalid ones are reported and left out.</summary>
        private static List<MigrationSpec> ParseMigrations(
            INamedTypeSymbol type, string displayName, INamedTypeSymbol? contextType, Compilation compilation, List<DiagnosticInfo> diagnostics)
        {
            INamedTypeSymbol? attributeType = compilation.GetTypeByMetadataName(MigrationAttributeName);
            var found = new List<(MigrationSpec Spec, LocationInfo? Location)>();
            if (attributeType is null)
            {
                return new List<MigrationSpec>();
            }

            foreach (IMethodSymbol method in type.GetMembers().OfType<IMethodSymbol>())
            {
                AttributeData? attribute = method.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attributeType));
                if (attribute is null)
                {
                    continue;
                }

                string name = displayName + "." + method.Name;
                LocationInfo? location = LocationInfo.From(method);
                string? problem = !method.IsStatic ? "is not static"
                    : method.IsGenericMethod ? "is generic"
                    : !method.ReturnsVoid ? "does not return void"
                    : method.Parameters.Length != 1 || contextType is null || method.Parameters[0].RefKind != RefKind.None
                        || !SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type, contextType) ? "does not take exactly one parameter, the IMutationContext"
                    : method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == MutationAttributeName) ? "is also marked [Mutation]"
                    : null;
                if (problem is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidMigration, location, name, problem));
                    continue;
                }

                int version = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int v ? v : 0;
                found.Add((new MigrationSpec(version, method.Name), location));
            }

            found.Sort(static (a, b) => a.Spec.Version != b.Spec.Version ? a.Spec.Version.CompareTo(b.Spec.Version) : string.CompareOrdinal(a.Spec.MethodName, b.Spec.MethodName));
            var migrations = new List<MigrationSpec>();
            foreach ((MigrationSpec spec, LocationInfo? location) in found)
            {
                int expected = migrations.Count + 1;
                if (spec.Version != expected)
                {
                    string why = spec.Version < expected
                        ? (spec.Version < 1 ? "versions start at 1" : $"migration '{displayName}.{migrations[spec.Version - 1].MethodName}' has it already")
                        : $"the next version is {expected.ToString(CultureInfo.InvariantCulture)}";
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MigrationVersionsNotInOrder, location,
                        displayName + "." + spec.MethodName, spec.Version.ToString(CultureInfo.InvariantCulture), why));
                    continue;
                }

                migrations.Add(spec);
            }

            return migrations;
        }
    }
}
