#!/bin/bash
# LocalStack ready hook (mounted into /etc/localstack/init/ready.d/ by docker-compose.yml):
# creates Latchkey's single DynamoDB table and verifies the SES sender, as the deploy does in AWS.
# Safe to run again: an existing table is left alone.
set -euo pipefail

table="${LATCHKEY_TABLE:-latchkey}"
sender="${LATCHKEY_SENDER:-no-reply@latchkey.local}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"

if awslocal dynamodb describe-table --table-name "$table" >/dev/null 2>&1; then
	echo "latchkey: table $table already exists"
else
	awslocal dynamodb create-table \
		--table-name "$table" \
		--attribute-definitions \
		AttributeName=pk,AttributeType=S \
		AttributeName=sk,AttributeType=S \
		AttributeName=gsi1pk,AttributeType=S \
		AttributeName=gsi1sk,AttributeType=S \
		AttributeName=gsi2pk,AttributeType=S \
		AttributeName=gsi2sk,AttributeType=S \
		--key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
		--global-secondary-indexes \
		'IndexName=gsi1,KeySchema=[{AttributeName=gsi1pk,KeyType=HASH},{AttributeName=gsi1sk,KeyType=RANGE}],Projection={ProjectionType=ALL}' \
		'IndexName=gsi2,KeySchema=[{AttributeName=gsi2pk,KeyType=HASH},{AttributeName=gsi2sk,KeyType=RANGE}],Projection={ProjectionType=ALL}' \
		--billing-mode PAY_PER_REQUEST \
		>/dev/null
	awslocal dynamodb wait table-exists --table-name "$table"
	echo "latchkey: created table $table"
fi

if ! out="$(awslocal dynamodb update-time-to-live \
	--table-name "$table" \
	--time-to-live-specification Enabled=true,AttributeName=ttl 2>&1)"; then
	# DynamoDB refuses to enable TTL twice; anything else is a real failure.
	grep -qi 'already enabled' <<<"$out" || {
		echo "$out" >&2
		exit 1
	}
fi
echo "latchkey: TTL enabled on $table.ttl"

awslocal ses verify-email-identity --email-address "$sender"
echo "latchkey: verified SES sender $sender"
