namespace SqlSync.Generators.Model;

/// <summary>One field of a mutation record: a parameter of the mutation method after the context.</summary>
/// <param name="ParameterName">The C# identifier of the parameter (escaped with '@' when a keyword).</param>
/// <param name="PropertyName">The record property: the parameter name with its first letter upper-cased.</param>
/// <param name="JsonName">The property name in the JSON form: the parameter name as written.</param>
internal sealed record ParameterSpec(string ParameterName, string PropertyName, string JsonName, ValueTypeRef Type);
