using SqlSync.Generators.Helpers;

namespace SqlSync.Generators.Model;

/// <summary>A composite type (nullable, collection or user type) the emitter writes codec methods for.</summary>
/// <param name="Type">The type.</param>
/// <param name="Members">For <see cref="ValueKind.Object"/>, its members in constructor order.</param>
internal sealed record CodecShapeSpec(ValueTypeRef Type, EquatableArray<MemberSpec> Members);
