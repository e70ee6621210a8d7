using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using SqlSync.Generators.Helpers;
using SqlSync.Generators.Model;

namespace SqlSync.Generators;

public sealed partial class MutationGenerator
{
    internal static partial class Parser
    {
        /// <summary>
        /// Decides whether the codec can encode a type and describes it as a <see cref="ValueTypeRef"/>,
        /// collecting the composite types (nullables, collections, user types) it needs codec methods for.
        /// </summary>
        private sealed class TypeResolver
        {
            private static readonly SymbolDisplayFormat TypeNameFormat = SymbolDisplayFormat.FullyQualifiedFormat
                .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

            private static readonly HashSet<string> SystemPrimitives = new(StringComparer.Ordinal)
            {
                "Guid", "DateTime", "DateTimeOffset", "TimeSpan", "DateOnly", "TimeOnly",
            };

            private readonly INamedTypeSymbol? _list;
            private readonly INamedTypeSymbol? _readOnlyList;
            private readonly Dictionary<string, CodecShapeSpec> _shapes = new(StringComparer.Ordinal);
            private readonly List<ITypeSymbol> _inProgress = new();

            public TypeResolver(Compilation compilation)
            {
                _list = compilation.GetTypeByMetadataName("System.Collections.Generic.List`1");
                _readOnlyList = compilation.GetTypeByMetadataName("System.Collections.Generic.IReadOnlyList`1");
            }

            public bool TryResolve(ITypeSymbol type, out ValueTypeRef? result, out string reason)
            {
                result = Resolve(type, out reason);
                return result is not null;
            }

            /// <summary>The shapes reachable from the parameters of <paramref name="mutations"/>, sorted by name.</summary>
            public EquatableArray<CodecShapeSpec> ShapesUsedBy(IEnumerable<MutationSpec> mutations)
            {
                var used = new SortedDictionary<string, CodecShapeSpec>(StringComparer.Ordinal);
                foreach (ParameterSpec parameter in mutations.SelectMany(m => m.Parameters))
                {
                    Collect(parameter.Type, used);
                }

                return new EquatableArray<CodecShapeSpec>(used.Values);
            }

            private void Collect(ValueTypeRef type, SortedDictionary<string, CodecShapeSpec> used)
            {
                if (!type.HasCodecMethods || used.ContainsKey(type.ShapeName))
                {
                    return;
                }

                CodecShapeSpec shape = _shapes[type.ShapeName];
                used.Add(type.ShapeName, shape);
                if (type.Element is not null)
                {
                    Collect(type.Element, used);
                }

                foreach (MemberSpec member in shape.Members)
                {
                    Collect(member.Type, used);
                }
            }

            private ValueTypeRef? Resolve(ITypeSymbol type, out string reason)
            {
                reason = "";
                string typeName = type.ToDisplayString(TypeNameFormat);
                if (type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated)
                {
                    ValueTypeRef? inner = Resolve(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated), out reason);
                    return inner is null ? null : Composite(ValueKind.NullableReference, typeName, "Nullable" + inner.ShapeName, inner, true);
                }

                if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
                {
                    ValueTypeRef? inner = Resolve(nullable.TypeArguments[0], out reason);
                    return inner is null ? null : Composite(ValueKind.NullableValue, typeName, "Nullable" + inner.ShapeName, inner, false);
                }

                string? primitive = PrimitiveName(type);
                if (primitive is not null)
                {
                    return new ValueTypeRef(ValueKind.Primitive, typeName, primitive, null, type.IsReferenceType);
                }

                if (type.TypeKind == TypeKind.Enum && type is INamedTypeSymbol { EnumUnderlyingType: { } underlying })
                {
                    var underlyingRef = new ValueTypeRef(ValueKind.Primitive, underlying.ToDisplayString(TypeNameFormat), PrimitiveName(underlying)!, null, false);
                    return new ValueTypeRef(ValueKind.Enum, typeName, "Enum" + Sanitize(typeName), underlyingRef, false);
                }

                if (type is IArrayTypeSymbol array)
                {
                    if (!array.IsSZArray)
                    {
                        reason = "multi-dimensional arrays are not supported; use an array of arrays";
                        return null;
                    }

                    ValueTypeRef? element = ResolveElement(array.ElementType, out reason);
                    return element is null ? null : Composite(ValueKind.Array, typeName, "ArrayOf" + element.ShapeName, element, true);
                }

                if (type is INamedTypeSymbol named && named.TypeArguments.Length == 1)
                {
                    bool isList = SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, _list);
                    bool isReadOnlyList = SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, _readOnlyList);
                    if (isList || isReadOnlyList)
                    {
                        ValueTypeRef? element = ResolveElement(named.TypeArguments[0], out reason);
                        return element is null
                            ? null
                            : Composite(isList ? ValueKind.List : ValueKind.ReadOnlyList, typeName,
                                (isList ? "ListOf" : "ReadOnlyListOf") + element.ShapeName, element, true);
                    }
                }

                return ResolveObject(type, typeName, out reason);
            }

            private ValueTypeRef? ResolveElement(ITypeSymbol element, out string reason)
            {
                ValueTypeRef? resolved = Resolve(element, out string inner);
                reason = resolved is null ? $"its element type '{element.ToDisplayString()}' is not supported: {inner}" : "";
                return resolved;
            }

            private ValueTypeRef? ResolveObject(ITypeSymbol type, string typeName, out string reason)
            {
                string display = type.ToDisplayString();
                if (type is not INamedTypeSymbol named
                    || named.TypeKind is not (TypeKind.Class or TypeKind.Struct)
                    || named.IsAbstract || named.IsStatic
                    || IsInSystemNamespace(named))
                {
                    reason = $"'{display}' is not a supported type (see docs/generator.md)";
                    return null;
                }

                string shapeName = "Object" + Sanitize(typeName);
                var self = new ValueTypeRef(ValueKind.Object, typeName, shapeName, null, named.IsReferenceType);
                if (_shapes.ContainsKey(shapeName))
                {
                    reason = "";
                    return self;
                }

                if (_inProgress.Any(t => SymbolEqualityComparer.Default.Equals(t, named)))
                {
                    reason = $"'{display}' contains itself; cyclic types cannot be encoded";
                    return null;
                }

                IMethodSymbol? constructor = FindConstructor(named);
                if (constructor is null)
                {
                    reason = $"'{display}' has no public constructor whose parameters each match a public property or field of the same name and type";
                    return null;
                }

                _inProgress.Add(named);
                try
                {
                    var members = new List<MemberSpec>();
                    foreach (IParameterSymbol parameter in constructor.Parameters)
                    {
                        ValueTypeRef? member = Resolve(parameter.Type, out string inner);
                        if (member is null)
                        {
                            reason = inner.Contains("contains itself")
                                ? inner
                                : $"member '{parameter.Name}' of '{display}' has type '{parameter.Type.ToDisplayString()}': {inner}";
                            return null;
                        }

                        string property = FindMember(named, parameter)!.Name;
                        members.Add(new MemberSpec(property, parameter.Name, member));
                    }

                    _shapes[shapeName] = new CodecShapeSpec(self, new EquatableArray<MemberSpec>(members));
                    reason = "";
                    return self;
                }
                finally
                {
                    _inProgress.RemoveAt(_inProgress.Count - 1);
                }
            }

            /// <summary>Framework types other than the primitives are not taken apart into members.</summary>
            private static bool IsInSystemNamespace(INamedTypeSymbol type)
            {
                INamespaceSymbol? ns = type.ContainingNamespace;
                while (ns is { ContainingNamespace.IsGlobalNamespace: false })
                {
                    ns = ns.ContainingNamespace;
                }

                return ns is { Name: "System" or "Microsoft" };
            }

            private static IMethodSymbol? FindConstructor(INamedTypeSymbol type) => type.InstanceConstructors
                .Where(c => c.DeclaredAccessibility == Accessibility.Public && c.Parameters.Length > 0
                    && c.Parameters.All(p => p.RefKind == RefKind.None && FindMember(type, p) is not null))
                .OrderByDescending(c => c.Parameters.Length)
                .ThenBy(c => c.ToDisplayString(), StringComparer.Ordinal)
                .FirstOrDefault();

            private static ISymbol? FindMember(INamedTypeSymbol type, IParameterSymbol parameter)
            {
                for (INamedTypeSymbol? current = type; current is not null; current = current.BaseType)
                {
                    foreach (ISymbol member in current.GetMembers())
                    {
                        if (member.IsStatic || member.DeclaredAccessibility != Accessibility.Public
                            || !string.Equals(member.Name, parameter.Name, StringComparison.OrdinalIgnoreCase))
                        {
                            continue;
                        }

                        ITypeSymbol? memberType = member switch
                        {
                            IPropertySymbol { GetMethod.DeclaredAccessibility: Accessibility.Public, Parameters.Length: 0 } p => p.Type,
                            IFieldSymbol f => f.Type,
                            _ => null,
                        };
                        if (memberType is not null && SymbolEqualityComparer.Default.Equals(memberType, parameter.Type))
                        {
                            return member;
                        }
                    }
                }

                return null;
            }

            private ValueTypeRef Composite(ValueKind kind, string typeName, string shapeName, ValueTypeRef element, bool isReferenceType)
            {
                var type = new ValueTypeRef(kind, typeName, shapeName, element, isReferenceType);
                if (!_shapes.ContainsKey(shapeName))
                {
                    _shapes[shapeName] = new CodecShapeSpec(type, EquatableArray<MemberSpec>.Empty);
                }

                return type;
            }

            private static string? PrimitiveName(ITypeSymbol type)
            {
                switch (type.SpecialType)
                {
                    case SpecialType.System_Boolean: return "Boolean";
                    case SpecialType.System_Byte: return "Byte";
                    case SpecialType.System_SByte: return "SByte";
                    case SpecialType.System_Int16: return "Int16";
                    case SpecialType.System_UInt16: return "UInt16";
                    case SpecialType.System_Int32: return "Int32";
                    case SpecialType.System_UInt32: return "UInt32";
                    case SpecialType.System_Int64: return "Int64";
                    case SpecialType.System_UInt64: return "UInt64";
                    case SpecialType.System_Single: return "Single";
                    case SpecialType.System_Double: return "Double";
                    case SpecialType.System_Decimal: return "Decimal";
                    case SpecialType.System_String: return "String";
                }

                if (type is IArrayTypeSymbol { IsSZArray: true, ElementType.SpecialType: SpecialType.System_Byte })
                {
                    return "Bytes";
                }

                if (type is INamedTypeSymbol { TypeKind: TypeKind.Struct, ContainingType: null } named
                    && SystemPrimitives.Contains(named.Name)
                    && named.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true })
                {
                    return named.Name;
                }

                return null;
            }

            private static string Sanitize(string typeName)
            {
                string name = typeName.StartsWith("global::", StringComparison.Ordinal) ? typeName.Substring(8) : typeName;
                var builder = new StringBuilder(name.Length);
                foreach (char c in name)
                {
                    builder.Append(char.IsLetterOrDigit(c) ? c : '_');
                }

                return builder.ToString();
            }
        }
    }
}
