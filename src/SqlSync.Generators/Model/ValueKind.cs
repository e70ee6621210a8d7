namespace SqlSync.Generators.Model;

/// <summary>How the codec handles a value of some type.</summary>
internal enum ValueKind
{
    /// <summary>A type the writer and reader handle directly (bool, numbers, string, byte[], Guid, dates).</summary>
    Primitive,
    /// <summary>An enum, written as its underlying integral type.</summary>
    Enum,
    /// <summary><c>Nullable&lt;T&gt;</c>: a presence byte, then the value.</summary>
    NullableValue,
    /// <summary>A reference type annotated nullable: a presence byte, then the value.</summary>
    NullableReference,
    /// <summary>A one-dimensional array: varint count, then the elements.</summary>
    Array,
    /// <summary><c>List&lt;T&gt;</c>: varint count, then the elements.</summary>
    List,
    /// <summary><c>IReadOnlyList&lt;T&gt;</c>: varint count, then the elements (decoded as an array).</summary>
    ReadOnlyList,
    /// <summary>A user record, class or struct: its constructor's parameters, in order.</summary>
    Object,
}
