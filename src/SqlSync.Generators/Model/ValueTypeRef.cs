using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Model;

/// <summary>
/// A type the codec can encode, as plain data.
/// </summary>
/// <param name="Kind">How it is encoded.</param>
/// <param name="TypeName">Its fully qualified C# name with nullable annotations, e.g. <c>global::System.Collections.Generic.List&lt;string?&gt;</c>.</param>
/// <param name="ShapeName">An identifier naming its encoding: the writer method suffix for primitives
/// (<c>Int32</c>), the enum's underlying primitive for enums, the codec method suffix otherwise.</param>
/// <param name="Element">The element, value or underlying type for nullable and collection kinds.</param>
/// <param name="IsReferenceType">True for reference types (null checks are emitted for non-nullable ones).</param>
internal sealed record ValueTypeRef(
    ValueKind Kind,
    string TypeName,
    string ShapeName,
    ValueTypeRef? Element,
    bool IsReferenceType)
{
    /// <summary>True when the codec emits helper methods for this type.</summary>
    public bool HasCodecMethods => Kind is not (ValueKind.Primitive or ValueKind.Enum);

    /// <summary>True when value equality must compare elements (arrays, lists, byte[]).</summary>
    public bool NeedsSequenceEquality => Kind switch
    {
        ValueKind.Array or ValueKind.List or ValueKind.ReadOnlyList => true,
        ValueKind.Primitive => ShapeName == "Bytes",
        ValueKind.NullableReference => Element!.NeedsSequenceEquality,
        _ => false,
    };
}
