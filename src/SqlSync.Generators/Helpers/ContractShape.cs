using System.Collections.Generic;
using System.Linq;
using System.Text;
using SqlSync.Generators.Model;

namespace SqlSync.Generators.Helpers;

/// <summary>
/// A mutation's encoded shape as text: what its binary record depends on and nothing else. Two mutations
/// with the same shape read and write the same bytes. Grammar (docs/versioning.md):
/// <c>(p1,p2,...)</c> for the parameters; a primitive is its codec name (<c>Int32</c>, <c>String</c>,
/// <c>Bytes</c>, <c>Guid</c>...); an enum is its underlying primitive; a nullable adds <c>?</c>; an array,
/// <c>List&lt;T&gt;</c> or <c>IReadOnlyList&lt;T&gt;</c> is <c>[T]</c> (the same bytes); a user type is
/// <c>{m1,m2,...}</c> in constructor order. Parameter and member names are not part of it.
/// </summary>
internal static class ContractShape
{
    public static string Of(MutationSpec mutation, EquatableArray<CodecShapeSpec> shapes)
    {
        Dictionary<string, CodecShapeSpec> byName = shapes.ToDictionary(s => s.Type.ShapeName, System.StringComparer.Ordinal);
        var builder = new StringBuilder("(");
        bool first = true;
        foreach (ParameterSpec parameter in mutation.Parameters)
        {
            if (!first)
            {
                builder.Append(',');
            }

            first = false;
            Append(builder, parameter.Type, byName);
        }

        return builder.Append(')').ToString();
    }

    private static void Append(StringBuilder builder, ValueTypeRef type, Dictionary<string, CodecShapeSpec> shapes)
    {
        switch (type.Kind)
        {
            case ValueKind.Primitive:
                builder.Append(type.ShapeName);
                break;
            case ValueKind.Enum:
                builder.Append(type.Element!.ShapeName);
                break;
            case ValueKind.NullableValue:
            case ValueKind.NullableReference:
                Append(builder, type.Element!, shapes);
                builder.Append('?');
                break;
            case ValueKind.Array:
            case ValueKind.List:
            case ValueKind.ReadOnlyList:
                builder.Append('[');
                Append(builder, type.Element!, shapes);
                builder.Append(']');
                break;
            default:
                builder.Append('{');
                bool first = true;
                foreach (MemberSpec member in shapes[type.ShapeName].Members)
                {
                    if (!first)
                    {
                        builder.Append(',');
                    }

                    first = false;
                    Append(builder, member.Type, shapes);
                }

                builder.Append('}');
                break;
        }
    }
}
