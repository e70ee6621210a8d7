using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SqlSync.Generators.CodeFixes;

/// <summary>Finds a mutation method at a diagnostic and its <c>[Mutation]</c> attribute, and rewrites the attribute's tag.</summary>
internal static class MutationAttributeSyntax
{
    public static MethodDeclarationSyntax? MethodAt(SyntaxNode root, TextSpan span) =>
        root.FindToken(span.Start).Parent?.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault();

    public static AttributeSyntax? Find(MethodDeclarationSyntax method) =>
        method.AttributeLists.SelectMany(list => list.Attributes).FirstOrDefault(a => LastName(a.Name) is "Mutation" or "MutationAttribute");

    /// <summary>The attribute written with an explicit tag, e.g. <c>Mutation(0x1A2B3C4Du)</c>, keeping how its name was written.</summary>
    public static string WithTag(AttributeSyntax attribute, string hexTag) => attribute.Name.ToString() + "(0x" + hexTag + "u)";

    /// <summary>The text change that sets <paramref name="method"/>'s tag, or null when it has no [Mutation] attribute.</summary>
    public static TextChange? SetTag(MethodDeclarationSyntax method, string hexTag)
    {
        AttributeSyntax? attribute = Find(method);
        return attribute is null ? null : new TextChange(attribute.Span, WithTag(attribute, hexTag));
    }

    private static string LastName(NameSyntax name) => name switch
    {
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        _ => "",
    };
}
