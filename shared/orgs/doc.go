// Package orgs administers organizations and members (create, get, update, delete,
// reactivate, retired emails) and searches them, as Stytch's Organizations and Members APIs
// do.
package orgs
