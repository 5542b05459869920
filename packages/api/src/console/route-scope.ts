/**
 * Which credential a route needs (DESIGN.md, "Second round: identity"). The identity work
 * enforces it; routes declare it now so they need no change when it lands. When identity's own
 * declaration of `scope` merges, keep one of the two (they must be identical).
 */
export type RouteScope = 'public' | 'predict' | 'jobs' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
}
