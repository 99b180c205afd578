// Package otp is the email one-time passcode way in: a 6-digit code mailed to an address, for
// an organization (login or signup) or for discovery, redeemed once, within its expiry and
// within a bounded number of tries. What a code proves is handed to authn.Login, like a magic
// link's, so a person who logs in by link and by code is one member.
package otp
