using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SqlSync.Generators.Diagnostics;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

public sealed partial class MutationGenerator
{
    /// <summary>Reads a <c>[MutationSet]</c> class's symbols into a <see cref="MutationSetSpec"/> plus diagnostics.</summary>
    internal static partial class Parser
    {
        private const string RecordSuffix = "Mutation";
        private const string ReducerName = "Reducer";
        private const string CodecName = "MutationValueCodec";

        /// <summary>Members every record has; a property with one of these names would clash.</summary>
        private static readonly HashSet<string> ReservedRecordMembers = new(StringComparer.Ordinal)
        {
            "MutationTag", "WriteTo", "WriteArguments", "ReadArguments", "Encode", "Decode", "WriteJson", "ReadJson",
            "ToJson", "FromJson", "Equals", "GetHashCode", "ToString", "EqualityContract", "JsonConverter", "GetType",
            "MemberwiseClone", "Deconstruct", "PrintMembers", "ReferenceEquals", "Finalize",
        };

        public static MutationSetResult Parse(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            string displayName = QualifiedName(type);
            LocationInfo? classLocation = LocationInfo.From(type);
            bool valid = true;

            if (!IsPartialWithContainers(type, cancellationToken))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MutationSetMustBePartial, classLocation, displayName));
                valid = false;
            }

            if (!type.IsStatic)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MutationSetMustBeStatic, classLocation, displayName));
                valid = false;
            }

            if (IsGenericOrInGeneric(type))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MutationSetMustNotBeGeneric, classLocation, displayName));
                valid = false;
            }

            foreach (string generatedType in new[] { ReducerName, CodecName })
            {
                ISymbol? clash = type.GetMembers(generatedType).FirstOrDefault();
                if (clash is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.DuplicateMutationName, LocationInfo.From(clash) ?? classLocation,
                        $"Class '{displayName}'", generatedType, $"is already a member of '{displayName}'"));
                    valid = false;
                }
            }

            INamedTypeSymbol? mutationAttribute = compilation.GetTypeByMetadataName(MutationAttributeName);
            INamedTypeSymbol? contextType = compilation.GetTypeByMetadataName(MutationContextName);
            var resolver = new TypeResolver(compilation);
            var candidates = new List<MutationSpec>();
            var candidateLocations = new Dictionary<MutationSpec, LocationInfo?>();
            Accessibility classAccessibility = EffectiveAccessibility(type);

            foreach (IMethodSymbol method in type.GetMembers().OfType<IMethodSymbol>())
            {
                cancellationToken.ThrowIfCancellationRequested();
                AttributeData? attribute = method.GetAttributes().FirstOrDefault(
                    a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, mutationAttribute));
                if (attribute is null)
                {
                    continue;
                }

                MutationSpec? mutation = ParseMutation(method, attribute, type, displayName, contextType, resolver, classAccessibility, diagnostics);
                if (mutation is not null)
                {
                    candidates.Add(mutation);
                    candidateLocations[mutation] = LocationInfo.From(method);
                }
            }

            List<MutationSpec> mutations = RemoveDuplicates(candidates, candidateLocations, type, diagnostics);
            List<MigrationSpec> migrations = ParseMigrations(type, displayName, contextType, compilation, diagnostics);
            if (!valid)
            {
                return new MutationSetResult(null, new EquatableArray<DiagnosticInfo>(diagnostics));
            }

            mutations.Sort(static (a, b) => a.Tag != b.Tag ? a.Tag.CompareTo(b.Tag) : string.CompareOrdinal(a.MethodName, b.MethodName));
            var containingTypes = new List<ContainingTypeSpec>();
            for (INamedTypeSymbol? container = type.ContainingType; container is not null; container = container.ContainingType)
            {
                containingTypes.Insert(0, new ContainingTypeSpec(Keyword(container), container.Name));
            }

            string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
            string extensionsClassName = string.Concat(containingTypes.Select(c => c.Name)) + type.Name + "Extensions";
            var spec = new MutationSetSpec(
                HintName: displayName + ".g.cs",
                Namespace: ns,
                ContainingTypes: new EquatableArray<ContainingTypeSpec>(containingTypes),
                ClassName: type.Name,
                DisplayName: displayName,
                FullyQualifiedName: "global::" + displayName,
                ExtensionsClassName: extensionsClassName,
                Mutations: new EquatableArray<MutationSpec>(mutations),
                Shapes: resolver.ShapesUsedBy(mutations),
                Migrations: new EquatableArray<MigrationSpec>(migrations),
                MinimumClientSchemaVersion: MinimumClientSchemaVersionOf(type));
            return new MutationSetResult(spec, new EquatableArray<DiagnosticInfo>(diagnostics),
                ContractOf(type, spec, candidateLocations, classLocation, cancellationToken));
        }

        public static DiagnosticInfo? CheckMutationOutsideSet(IMethodSymbol method)
        {
            INamedTypeSymbol? containingType = method.ContainingType;
            bool inSet = containingType is not null && containingType.GetAttributes().Any(
                a => a.AttributeClass?.ToDisplayString() == MutationSetAttributeName);
            return inSet
                ? null
                : DiagnosticInfo.Create(DiagnosticDescriptors.MutationOutsideMutationSet, LocationInfo.From(method),
                    method.Name, containingType?.ToDisplayString() ?? "?");
        }

        private static MutationSpec? ParseMutation(
            IMethodSymbol method, AttributeData attribute, INamedTypeSymbol type, string displayName,
            INamedTypeSymbol? contextType, TypeResolver resolver, Accessibility classAccessibility, List<DiagnosticInfo> diagnostics)
        {
            LocationInfo? location = LocationInfo.From(method);
            string methodDisplay = displayName + "." + method.Name;
            if (!method.IsStatic)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MutationMustBeStatic, location, methodDisplay));
                return null;
            }

            if (method.IsGenericMethod)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MutationMustNotBeGeneric, location, methodDisplay));
                return null;
            }

            if (!method.ReturnsVoid)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MutationMustReturnVoid, location, methodDisplay,
                    method.ReturnType.ToDisplayString()));
                return null;
            }

            if (method.Parameters.Length == 0
                || method.Parameters[0].RefKind != RefKind.None
                || contextType is null
                || !SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type, contextType))
            {
                LocationInfo? at = method.Parameters.Length > 0 ? LocationInfo.From(method.Parameters[0]) ?? location : location;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MutationFirstParameterMustBeContext, at, methodDisplay));
                return null;
            }

            var parameters = new List<ParameterSpec>();
            Accessibility widest = Accessibility.Public;
            bool parametersValid = true;
            foreach (IParameterSymbol parameter in method.Parameters.Skip(1))
            {
                string? reason = null;
                ValueTypeRef? valueType = null;
                if (parameter.RefKind != RefKind.None)
                {
                    reason = "it is passed by reference; mutation arguments are passed by value";
                }
                else if (!resolver.TryResolve(parameter.Type, out valueType, out reason))
                {
                    valueType = null;
                }

                if (valueType is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedParameterType,
                        LocationInfo.From(parameter) ?? location, parameter.Name, methodDisplay,
                        parameter.Type.ToDisplayString(), reason ?? "it is not supported"));
                    parametersValid = false;
                    continue;
                }

                widest = Narrower(widest, EffectiveAccessibility(parameter.Type));
                parameters.Add(new ParameterSpec(
                    EscapeIdentifier(parameter.Name), Pascal(parameter.Name), parameter.Name, valueType));
            }

            if (!parametersValid)
            {
                return null;
            }

            uint explicitTag = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is uint value ? value : 0;
            uint tag = explicitTag != 0 ? explicitTag : StableTag.Derive(methodDisplay);
            Accessibility extension = Narrower(widest, classAccessibility);
            return new MutationSpec(
                MethodName: method.Name,
                RecordName: method.Name + RecordSuffix,
                Tag: tag,
                IsExplicitTag: explicitTag != 0,
                RecordAccessibility: widest == Accessibility.Public ? "public" : IsInternal(widest) ? "internal" : "private",
                ExtensionAccessibility: extension == Accessibility.Public ? "public" : IsInternal(extension) ? "internal" : null,
                Parameters: new EquatableArray<ParameterSpec>(parameters),
                IsObsolete: method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.ObsoleteAttribute"));
        }

        private static string QualifiedName(INamedTypeSymbol type)
        {
            string name = type.Name;
            for (INamedTypeSymbol? container = type.ContainingType; container is not null; container = container.ContainingType)
            {
                name = container.Name + "." + name;
            }

            return type.ContainingNamespace.IsGlobalNamespace ? name : type.ContainingNamespace.ToDisplayString() + "." + name;
        }

        private static bool IsPartialWithContainers(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
            {
                bool partial = current.DeclaringSyntaxReferences.Any(reference =>
                    reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration
                    && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial)
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsGenericOrInGeneric(INamedTypeSymbol type)
        {
            for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
            {
                if (current.TypeParameters.Length > 0)
                {
                    return true;
                }
            }

            return false;
        }

        private static string Keyword(INamedTypeSymbol type) => type.TypeKind switch
        {
            TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
            TypeKind.Interface => "interface",
            _ => type.IsRecord ? "record" : "class",
        };

        private static string EscapeIdentifier(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        private static string Pascal(string name) =>
            name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);
    }
}
