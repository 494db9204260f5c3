-- AlterTable
ALTER TABLE "LabelMove" ADD COLUMN "movedByApiKeyId" INTEGER;
