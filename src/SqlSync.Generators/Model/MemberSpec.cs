namespace SqlSync.Generators.Model;

/// <summary>One encoded member of a user type: a constructor parameter and the property it is read from.</summary>
internal sealed record MemberSpec(string PropertyName, string JsonName, ValueTypeRef Type);
